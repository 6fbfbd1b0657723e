<?php
declare(strict_types=1);

namespace Coffer\Exception;

/** HTTP 413, larger than the plan or the server allows (FILE_TOO_LARGE). */
class FileTooLargeException extends CofferException
{
}
