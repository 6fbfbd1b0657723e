<?php
declare(strict_types=1);

namespace Coffer\Exception;

/** HTTP 503, the database or the storage backend is unavailable; retry after getRetryAfter() seconds. */
class ServiceUnavailableException extends CofferException
{
    /** Seconds to wait before retrying (Retry-After), or null. */
    public function getRetryAfter(): ?int
    {
        $v = $this->getHeader('Retry-After');
        return $v !== null && ctype_digit($v) ? (int) $v : null;
    }
}
