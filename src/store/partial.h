/* partial.h - the files resumable uploads are assembled in, one per upload. */
#ifndef COFFER_PARTIAL_H
#define COFFER_PARTIAL_H

#include <stddef.h>
#include <sys/types.h>

#include "base/conf.h"
#include "base/err.h"

/*
 * A partial upload lives at DIR/{customerId}/{uploadId}, where DIR is
 * [uploads] dir, or .uploads under [storage] local_path when that is empty
 * (the local backend's filesystem: a completed upload is then hard-linked
 * into place; the reconciler lists only customers/, so it never sees
 * these).  Ids are canonical UUIDs checked by the caller.  Errors:
 * ERR_NOTFOUND (no such file), ERR_CONFLICT (locked by another request),
 * ERR_BACKEND (disk full or read-only: retry later), ERR_SYS; *errstr is
 * static, for the log.
 */

/* The partial-upload directory for conf into buf (len bytes). */
void partial_dir(const struct conf *conf, char *buf, size_t len);

/*
 * Open (with create: create, empty, mode 0640, and its customer directory)
 * the partial file of an upload, read-write, close-on-exec.  *fd is the
 * caller's to close.
 */
enum err partial_open(const char *dir, const char *customer_id, const char *upload_id,
    int create, int *fd, const char **errstr);

/* Take the upload's exclusive lock (flock, without waiting; held until fd
 * is closed, and dropped by the kernel if the worker dies): ERR_CONFLICT
 * while another request holds it. */
enum err partial_lock(int fd, const char **errstr);

/*
 * Cut the file back to offset (bytes written but never acknowledged go),
 * append [src_offset, src_offset+len) of src there and fsync: on ERR_OK
 * the bytes are durable.  On failure the file may hold a tail past
 * offset, which the next append cuts.
 */
enum err partial_append(int fd, off_t offset, int src, off_t src_offset, off_t len,
    const char **errstr);

/* Remove the partial file (a missing one is ERR_OK). */
enum err partial_remove(const char *dir, const char *customer_id, const char *upload_id,
    const char **errstr);

#endif
