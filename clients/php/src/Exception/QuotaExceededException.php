<?php
declare(strict_types=1);

namespace Coffer\Exception;

/**
 * HTTP 507, QUOTA_EXCEEDED: the upload does not fit in the customer's
 * quota. Nothing was stored or charged. The figures are Coffer's at the
 * moment it refused, in bytes.
 */
class QuotaExceededException extends CofferException
{
    public function getUsed(): int
    {
        return (int) ($this->getBody()['used'] ?? 0);
    }

    /** Null: unlimited (a 507 then means something else held the room). */
    public function getLimit(): ?int
    {
        $v = $this->getBody()['limit'] ?? null;
        return $v === null ? null : (int) $v;
    }

    /** The size of the refused upload. */
    public function getNeeded(): int
    {
        return (int) ($this->getBody()['needed'] ?? 0);
    }

    /** Bytes held by uploads in flight. */
    public function getReserved(): int
    {
        return (int) ($this->getBody()['reserved'] ?? 0);
    }

    /** What is left: limit - used - reserved (never negative), null if unlimited. */
    public function getAvailable(): ?int
    {
        $limit = $this->getLimit();
        return $limit === null ? null : max(0, $limit - $this->getUsed() - $this->getReserved());
    }
}
