<?php
// Without Composer: `require 'path/to/clients/php/autoload.php';` maps the
// Coffer\ namespace onto src/ exactly as composer.json's PSR-4 entry does.
declare(strict_types=1);

spl_autoload_register(static function (string $class): void {
    if (!str_starts_with($class, 'Coffer\\')) {
        return;
    }
    $file = __DIR__ . '/src/' . str_replace('\\', '/', substr($class, strlen('Coffer\\'))) . '.php';
    if (is_file($file)) {
        require $file;
    }
});
