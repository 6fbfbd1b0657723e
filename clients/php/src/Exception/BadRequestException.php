<?php
declare(strict_types=1);

namespace Coffer\Exception;

/** HTTP 400, bad input (INVALID_CATEGORY, NO_FILE, ...). */
class BadRequestException extends CofferException
{
}
