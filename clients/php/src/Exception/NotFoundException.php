<?php
declare(strict_types=1);

namespace Coffer\Exception;

/** HTTP 404, no such file (FILE_NOT_FOUND). */
class NotFoundException extends CofferException
{
}
