<?php
declare(strict_types=1);

namespace Coffer;

use Coffer\Exception\AuthenticationException;
use Coffer\Exception\BadRequestException;
use Coffer\Exception\CofferException;
use Coffer\Exception\ConflictException;
use Coffer\Exception\FileTooLargeException;
use Coffer\Exception\ForbiddenException;
use Coffer\Exception\NotFoundException;
use Coffer\Exception\QuotaExceededException;
use Coffer\Exception\ServiceUnavailableException;
use Coffer\Exception\TransportException;
use Coffer\Exception\UnsupportedTypeException;

/**
 * Coffer's storage API for PHP applications: upload, quota, stats, listing,
 * delete and download links. Every refusal is a typed CofferException
 * carrying Coffer's code, the HTTP status and the JSON answer. TLS
 * certificates are always verified (the system's CAs, or 'caFile').
 *
 *     $coffer = new Coffer\Client('https://storage.example.com', $token);
 *     $file = $coffer->upload('/tmp/lease.pdf', 'documents', 'leases');
 */
final class Client
{
    private const UUID = '/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/';

    /** @var string|\Closure(): string */
    private $token;
    private string $baseUrl;
    private ?string $caFile;
    private int $timeout;
    private int $connectTimeout;

    /**
     * @param string $baseUrl Coffer's origin (and path prefix), e.g. "https://storage.example.com"
     * @param string|callable(): string $token a JWT or an API key, or a function
     *        returning one (called before every request, so it may refresh)
     * @param array{caFile?: string, timeout?: int, connectTimeout?: int} $options
     *        caFile: PEM file of the CAs to trust instead of the system's;
     *        timeout / connectTimeout: seconds (default 300 / 10)
     */
    public function __construct(string $baseUrl, string|callable $token, array $options = [])
    {
        if (!extension_loaded('curl')) {
            throw new \LogicException('Coffer\Client needs PHP\'s curl extension');
        }
        $this->baseUrl = rtrim($baseUrl, '/');
        $this->token = is_string($token) ? $token : \Closure::fromCallable($token);
        $this->caFile = $options['caFile'] ?? null;
        if ($this->caFile !== null && !is_readable($this->caFile)) {
            throw new \InvalidArgumentException("caFile {$this->caFile} is not readable");
        }
        $this->timeout = $options['timeout'] ?? 300;
        $this->connectTimeout = $options['connectTimeout'] ?? 10;
    }

    /**
     * Upload a file from a path or an open stream (read from where it is;
     * never held in memory whole).
     *
     * @param string|resource $file a path, or a readable stream
     * @param array<string, mixed>|null $metadata stored with the file as JSON
     * @param string|null $fileName the name to record (default: the path's base name)
     * @return array<string, mixed> Coffer's answer: fileId, filePath, fileUrl, fileSize, mimeType, ...
     */
    public function upload(
        mixed $file,
        string $category,
        ?string $subcategory = null,
        ?string $entityId = null,
        ?array $metadata = null,
        ?string $fileName = null,
    ): array {
        $tmp = null;
        if (is_string($file)) {
            if (!is_file($file) || !is_readable($file)) {
                throw new \InvalidArgumentException("$file is not a readable file");
            }
            $path = $file;
        } elseif (is_resource($file) && get_resource_type($file) === 'stream') {
            $meta = stream_get_meta_data($file);
            if (($meta['wrapper_type'] ?? '') === 'plainfile' && is_file($meta['uri'] ?? '')
                && ftell($file) === 0) {
                $path = $meta['uri'];
            } else {
                // curl posts files by name: spool any other stream to disk.
                $tmp = tmpfile();
                if ($tmp === false || stream_copy_to_stream($file, $tmp) === false) {
                    throw new \RuntimeException('cannot spool the upload stream to a temporary file');
                }
                $path = stream_get_meta_data($tmp)['uri'];
            }
        } else {
            throw new \InvalidArgumentException('upload() takes a path or a readable stream');
        }
        $fields = ['category' => $category];
        if ($subcategory !== null && $subcategory !== '') {
            $fields['subcategory'] = $subcategory;
        }
        if ($entityId !== null && $entityId !== '') {
            $fields['entityId'] = $entityId;
        }
        if ($metadata !== null) {
            $fields['metadata'] = json_encode($metadata, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES);
        }
        $fields['file'] = new \CURLFile($path, 'application/octet-stream',
            $fileName ?? (is_string($file) ? basename($file) : 'upload'));
        try {
            return $this->request('POST', '/api/storage/upload', [CURLOPT_POSTFIELDS => $fields]);
        } finally {
            if ($tmp !== null) {
                fclose($tmp);
            }
        }
    }

    /** @return array<string, mixed> used, limit (null: unlimited), available, percentage, *Formatted, ... */
    public function quota(): array
    {
        return $this->request('GET', '/api/storage/quota');
    }

    /** @return array<string, mixed> quota, breakdown (category, parentCategory, ...), recentUploads */
    public function stats(): array
    {
        return $this->request('GET', '/api/storage/stats');
    }

    /**
     * One page of the customer's files, newest first.
     *
     * @param array{category?: string, subcategory?: string, entityId?: string, fileType?: string, limit?: int} $filters
     * @param string|null $cursor the previous page's nextCursor
     * @return array{files: list<array<string, mixed>>, nextCursor: ?string}
     */
    public function files(array $filters = [], ?string $cursor = null): array
    {
        $query = array_filter($filters, static fn ($v) => $v !== null && $v !== '');
        if ($cursor !== null) {
            $query['cursor'] = $cursor;
        }
        $qs = $query ? '?' . http_build_query($query, '', '&', PHP_QUERY_RFC3986) : '';
        return $this->request('GET', '/api/storage/files' . $qs);
    }

    /** Delete by file id (a UUID) or by storage key (the upload's filePath). */
    public function delete(string $filePathOrFileId): void
    {
        if (preg_match(self::UUID, $filePathOrFileId) === 1) {
            $this->request('DELETE', '/api/storage/files/' . rawurlencode($filePathOrFileId));
            return;
        }
        $this->request('DELETE', '/api/storage/file', [], ['filePath' => $filePathOrFileId]);
    }

    /**
     * A fresh expiring download link for a file.
     *
     * @return array{url: string, expiresAt: string, expiresIn: int}
     */
    public function downloadUrl(string $fileId, int $expiresIn = 3600): array
    {
        return $this->request('GET', '/api/storage/files/' . rawurlencode($fileId)
            . '/url?expiresIn=' . $expiresIn);
    }

    /**
     * @param array<int, mixed> $curlOptions
     * @param array<string, mixed>|null $json a JSON body
     * @return array<string, mixed> the answer's data
     */
    private function request(string $method, string $path, array $curlOptions = [], ?array $json = null): array
    {
        $token = is_string($this->token) ? $this->token : ($this->token)();
        $headers = ['Authorization: Bearer ' . $token, 'Accept: application/json', 'Expect:'];
        if ($json !== null) {
            $headers[] = 'Content-Type: application/json';
            $curlOptions[CURLOPT_POSTFIELDS] = json_encode($json, JSON_THROW_ON_ERROR | JSON_UNESCAPED_SLASHES);
        }
        $received = [];
        $ch = curl_init($this->baseUrl . $path);
        $options = [
            CURLOPT_CUSTOMREQUEST => $method,
            CURLOPT_HTTPHEADER => $headers,
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_FOLLOWLOCATION => false,
            CURLOPT_PROTOCOLS => CURLPROTO_HTTPS | CURLPROTO_HTTP,
            CURLOPT_SSL_VERIFYPEER => true,
            CURLOPT_SSL_VERIFYHOST => 2,
            CURLOPT_CONNECTTIMEOUT => $this->connectTimeout,
            CURLOPT_TIMEOUT => $this->timeout,
            CURLOPT_HEADERFUNCTION => static function ($ch, string $line) use (&$received): int {
                $parts = explode(':', $line, 2);
                if (count($parts) === 2) {
                    $received[strtolower(trim($parts[0]))] = trim($parts[1]);
                }
                return strlen($line);
            },
        ] + $curlOptions;
        if ($this->caFile !== null) {
            $options[CURLOPT_CAINFO] = $this->caFile;
        }
        curl_setopt_array($ch, $options);
        $text = curl_exec($ch);
        $errno = curl_errno($ch);
        $status = (int) curl_getinfo($ch, CURLINFO_RESPONSE_CODE);
        $error = curl_error($ch);
        curl_close($ch);
        if ($text === false || $errno !== 0) {
            // 60 is CURLE_PEER_FAILED_VERIFICATION (PHP names it CURLE_SSL_CACERT).
            $tls = in_array($errno, [CURLE_SSL_CONNECT_ERROR, CURLE_SSL_CACERT, CURLE_SSL_CERTPROBLEM,
                CURLE_SSL_CACERT_BADFILE, CURLE_SSL_PINNEDPUBKEYNOTMATCH], true);
            throw new TransportException("Coffer could not be reached: $error",
                $tls ? 'TLS_ERROR' : 'NETWORK_ERROR', 0);
        }
        $body = json_decode((string) $text, true);
        if (!is_array($body)) {
            throw new CofferException("Unexpected answer from Coffer (HTTP $status)", 'BAD_RESPONSE',
                $status, [], $received);
        }
        if ($status >= 200 && $status < 300 && ($body['success'] ?? false) === true) {
            $data = $body['data'] ?? [];
            return is_array($data) ? $data : [];
        }
        throw self::refusal($status, $body, $received);
    }

    /**
     * @param array<string, mixed> $body
     * @param array<string, string> $headers
     */
    private static function refusal(int $status, array $body, array $headers): CofferException
    {
        $message = is_string($body['error'] ?? null) ? $body['error'] : "HTTP $status";
        $code = is_string($body['code'] ?? null) ? $body['code'] : "HTTP_$status";
        $class = match ($status) {
            400 => BadRequestException::class,
            401 => AuthenticationException::class,
            403 => ForbiddenException::class,
            404 => NotFoundException::class,
            409 => ConflictException::class,
            413 => FileTooLargeException::class,
            415 => UnsupportedTypeException::class,
            503 => ServiceUnavailableException::class,
            507 => QuotaExceededException::class,
            default => CofferException::class,
        };
        return new $class($message, $code, $status, $body, $headers);
    }
}
