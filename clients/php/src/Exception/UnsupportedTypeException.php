<?php
declare(strict_types=1);

namespace Coffer\Exception;

/** HTTP 415, a file type that is not allowed (MIME_NOT_ALLOWED); the type is sniffed from the bytes. */
class UnsupportedTypeException extends CofferException
{
}
