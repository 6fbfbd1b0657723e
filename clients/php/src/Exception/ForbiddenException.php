<?php
declare(strict_types=1);

namespace Coffer\Exception;

/** HTTP 403, wrong role or tenant, or a suspended customer. */
class ForbiddenException extends CofferException
{
}
