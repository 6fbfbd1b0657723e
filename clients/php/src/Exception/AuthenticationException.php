<?php
declare(strict_types=1);

namespace Coffer\Exception;

/** HTTP 401, no or refused credentials (TOKEN_EXPIRED, INVALID_SIGNATURE, ...). */
class AuthenticationException extends CofferException
{
}
