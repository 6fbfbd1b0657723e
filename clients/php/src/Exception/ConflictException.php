<?php
declare(strict_types=1);

namespace Coffer\Exception;

/** HTTP 409, a conflicting request. */
class ConflictException extends CofferException
{
}
