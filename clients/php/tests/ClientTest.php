<?php
declare(strict_types=1);

use Coffer\Client;
use Coffer\Exception\AuthenticationException;
use Coffer\Exception\CofferException;
use Coffer\Exception\NotFoundException;
use Coffer\Exception\QuotaExceededException;
use Coffer\Exception\TransportException;
use Coffer\Exception\UnsupportedTypeException;
use PHPUnit\Framework\TestCase;

/**
 * Coffer\Client against a live stack (nginx, cofferd, PostgreSQL). The
 * customers come from COFFER_PHP_FIXTURES: main (empty, 5 GB), tight (a
 * small limit, 10 KiB used) and expired (a token past its exp).
 */
final class ClientTest extends TestCase
{
    private static string $url;
    private static string $ca;
    /** @var array<string, array{token: string, id?: string}> */
    private static array $fx;

    public static function setUpBeforeClass(): void
    {
        foreach (['COFFER_URL', 'COFFER_CA_CERT', 'COFFER_PHP_FIXTURES'] as $k) {
            if (getenv($k) === false || getenv($k) === '') {
                throw new RuntimeException("$k is not set: run through tests/integration/test_clients.py");
            }
        }
        self::$url = getenv('COFFER_URL');
        self::$ca = getenv('COFFER_CA_CERT');
        self::$fx = json_decode(getenv('COFFER_PHP_FIXTURES'), true, 512, JSON_THROW_ON_ERROR);
    }

    private static function client(string $who = 'main'): Client
    {
        return new Client(self::$url, self::$fx[$who]['token'], ['caFile' => self::$ca]);
    }

    /** A file libmagic calls application/pdf, of exactly $size bytes. */
    private static function pdf(int $size): string
    {
        $head = "%PDF-1.4\n";
        $tail = "\n%%EOF\n";
        $path = tempnam(sys_get_temp_dir(), 'coffer-php-') . '.pdf';
        file_put_contents($path, $head . str_repeat('0', $size - strlen($head) - strlen($tail)) . $tail);
        return $path;
    }

    private static function fetch(string $url): string
    {
        $ch = curl_init($url);
        curl_setopt_array($ch, [CURLOPT_RETURNTRANSFER => true, CURLOPT_CAINFO => self::$ca]);
        $body = curl_exec($ch);
        $status = curl_getinfo($ch, CURLINFO_RESPONSE_CODE);
        curl_close($ch);
        self::assertSame(200, $status, "GET $url");
        return (string) $body;
    }

    public function testQuotaAndStatsHaveTheSeedsShape(): void
    {
        $q = self::client()->quota();
        self::assertIsInt($q['used']);
        self::assertSame(5 * 1024 ** 3, $q['limit']);
        self::assertSame('5 GB', $q['limitFormatted']);
        $s = self::client()->stats();
        self::assertSame(['quota', 'breakdown', 'recentUploads'], array_keys($s));
    }

    public function testUploadFromPathListDownloadAndDelete(): void
    {
        $c = self::client();
        $before = $c->quota()['used'];
        $path = self::pdf(5000);
        $up = $c->upload($path, 'documents', 'leases', null, ['tenant' => 'A-12'], 'lease.pdf');
        self::assertSame(5000, $up['fileSize']);
        self::assertSame('application/pdf', $up['mimeType']);
        self::assertMatchesRegularExpression('#^customers/[0-9a-f-]{36}/documents/leases/[0-9a-f-]{36}\.pdf$#',
            $up['filePath']);

        $stats = $c->stats();
        $rows = array_values(array_filter($stats['breakdown'], fn ($r) => $r['category'] === 'leases'));
        self::assertCount(1, $rows);
        self::assertSame('documents', $rows[0]['parentCategory']);
        self::assertSame(5000, $rows[0]['totalSize']);
        self::assertSame('lease.pdf', $stats['recentUploads'][0]['fileName']);
        self::assertSame('leases', $stats['recentUploads'][0]['subcategory']);

        $page = $c->files(['category' => 'documents', 'subcategory' => 'leases']);
        self::assertSame([$up['fileId']], array_column($page['files'], 'id'));
        self::assertNull($page['nextCursor']);

        $link = $c->downloadUrl($up['fileId'], 120);
        self::assertSame(120, $link['expiresIn']);
        self::assertSame(file_get_contents($path), self::fetch($link['url']));

        $c->delete($up['filePath']);
        self::assertSame($before, $c->quota()['used']);
        try {
            $c->delete($up['filePath']);
            self::fail('a second delete must be refused');
        } catch (NotFoundException $e) {
            self::assertSame('FILE_NOT_FOUND', $e->getErrorCode());
            self::assertSame(404, $e->getHttpStatus());
        }
        unlink($path);
    }

    public function testUploadFromStreamsAndDeleteById(): void
    {
        $c = self::client();
        $before = $c->quota()['used'];
        // Not a file: spooled to a temporary file, then posted.
        $mem = fopen('php://temp', 'w+');
        fwrite($mem, file_get_contents($p = self::pdf(3000)));
        rewind($mem);
        $a = $c->upload($mem, 'properties', 'photos', 'house-9', null, 'from-memory.pdf');
        fclose($mem);
        // A file stream: posted from its path.
        $fh = fopen($p, 'rb');
        $b = $c->upload($fh, 'avatars', null, null, null, 'me.pdf');
        fclose($fh);
        self::assertSame(3000, $a['fileSize']);
        self::assertSame(3000, $b['fileSize']);
        self::assertStringContainsString('/properties/house-9/photos/', $a['filePath']);
        self::assertSame($before + 6000, $c->quota()['used']);
        $c->delete($a['fileId']);
        $c->delete($b['fileId']);
        self::assertSame($before, $c->quota()['used']);
        unlink($p);
    }

    public function testCursorPagination(): void
    {
        $c = self::client();
        $p = self::pdf(1000);
        $ids = [];
        for ($i = 0; $i < 5; $i++) {
            $ids[] = $c->upload($p, 'projects', 'permits', 'proj-1', null, "permit-$i.pdf")['fileId'];
        }
        $seen = [];
        $cursor = null;
        do {
            $page = $c->files(['category' => 'projects', 'entityId' => 'proj-1', 'limit' => 2], $cursor);
            self::assertLessThanOrEqual(2, count($page['files']));
            $seen = array_merge($seen, array_column($page['files'], 'id'));
            $cursor = $page['nextCursor'];
        } while ($cursor !== null);
        self::assertSame(array_reverse($ids), $seen);
        foreach ($ids as $id) {
            $c->delete($id);
        }
        unlink($p);
    }

    public function testQuotaExceededCarriesTheFigures(): void
    {
        $p = self::pdf(40 * 1024);
        try {
            self::client('tight')->upload($p, 'documents', 'invoices');
            self::fail('a 507 was expected');
        } catch (QuotaExceededException $e) {
            self::assertSame('QUOTA_EXCEEDED', $e->getErrorCode());
            self::assertSame(507, $e->getHttpStatus());
            self::assertSame(507, $e->getCode());
            self::assertSame(40 * 1024, $e->getNeeded());
            self::assertSame(30 * 1024, $e->getLimit());
            self::assertSame(10 * 1024, $e->getUsed());
            self::assertSame(20 * 1024, $e->getAvailable());
            self::assertNotNull($e->getRequestId());
        }
        self::assertSame(10 * 1024, self::client('tight')->quota()['used']);
        unlink($p);
    }

    public function testDisallowedTypeIs415(): void
    {
        $p = tempnam(sys_get_temp_dir(), 'coffer-php-');
        file_put_contents($p, str_repeat("#!/bin/sh\necho not a pdf\n", 20));
        try {
            self::client()->upload($p, 'documents', 'leases', null, null, 'invoice.pdf');
            self::fail('a 415 was expected');
        } catch (UnsupportedTypeException $e) {
            self::assertSame('MIME_NOT_ALLOWED', $e->getErrorCode());
            self::assertSame(415, $e->getHttpStatus());
        }
        unlink($p);
    }

    public function testBadInputKeepsItsCode(): void
    {
        $p = self::pdf(1000);
        try {
            self::client()->upload($p, '../etc');
            self::fail('a 400 was expected');
        } catch (CofferException $e) {
            self::assertSame(400, $e->getHttpStatus());
            self::assertSame('INVALID_CATEGORY', $e->getErrorCode());
        }
        unlink($p);
    }

    public function testExpiredTokenAndATokenGetter(): void
    {
        try {
            self::client('expired')->quota();
            self::fail('a 401 was expected');
        } catch (AuthenticationException $e) {
            self::assertSame('TOKEN_EXPIRED', $e->getErrorCode());
            self::assertSame(401, $e->getHttpStatus());
        }
        $calls = 0;
        $c = new Client(self::$url, function () use (&$calls): string {
            $calls++;
            return self::$fx['main']['token'];
        }, ['caFile' => self::$ca]);
        $c->quota();
        $c->stats();
        self::assertSame(2, $calls);
    }

    public function testTlsIsVerifiedByDefault(): void
    {
        // The stack's certificate is self-signed: without its CA file the
        // system's CAs do not vouch for it, and nothing is sent.
        $c = new Client(self::$url, self::$fx['main']['token']);
        try {
            $c->quota();
            self::fail('an unverified certificate was accepted');
        } catch (TransportException $e) {
            self::assertSame('TLS_ERROR', $e->getErrorCode());
            self::assertSame(0, $e->getHttpStatus());
        }
    }
}
