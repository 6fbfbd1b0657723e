<?php
declare(strict_types=1);

namespace Coffer\Exception;

/**
 * Coffer refused a request, or could not be reached. getErrorCode() is
 * Coffer's machine code (QUOTA_EXCEEDED, MIME_NOT_ALLOWED, TOKEN_EXPIRED,
 * ...; NETWORK_ERROR from the client itself), getHttpStatus() the HTTP
 * status (0 without an answer, also returned by getCode()), getBody() the
 * whole JSON answer.
 */
class CofferException extends \RuntimeException
{
    /**
     * @param array<string, mixed> $body the JSON answer
     * @param array<string, string> $headers the answer's headers, names in lower case
     */
    public function __construct(
        string $message,
        private readonly string $errorCode,
        private readonly int $httpStatus,
        private readonly array $body = [],
        private readonly array $headers = [],
        ?\Throwable $previous = null,
    ) {
        parent::__construct($message, $httpStatus, $previous);
    }

    public function getErrorCode(): string
    {
        return $this->errorCode;
    }

    public function getHttpStatus(): int
    {
        return $this->httpStatus;
    }

    /** @return array<string, mixed> */
    public function getBody(): array
    {
        return $this->body;
    }

    /** One header of the answer (any case), or null. */
    public function getHeader(string $name): ?string
    {
        return $this->headers[strtolower($name)] ?? null;
    }

    /** nginx's request id (X-Request-Id), to quote in a support request. */
    public function getRequestId(): ?string
    {
        return $this->getHeader('X-Request-Id');
    }
}
