<?php
declare(strict_types=1);

namespace Coffer\Exception;

/** No answer: connection, TLS verification or timeout (code NETWORK_ERROR or TLS_ERROR, status 0). */
class TransportException extends CofferException
{
}
