/* files.h - reading and deleting a customer's file records. */
#ifndef COFFER_FILES_H
#define COFFER_FILES_H

#include "engine/identity.h"
#include "http/req.h"

struct link_file;

#define FILES_MICROS_LEN	19	/* 18 digits and NUL */
#define FILES_UUID_LEN		37

/*
 * A listing cursor "MICROS.UUID" as files_list hands them out: ERR_OK with
 * the digits in micros and the id in uuid; ERR_BADREQ for anything else,
 * times past year 9999 included.  Pure: no request, no database.
 */
enum err files_cursor_parse(const char *cursor, char micros[FILES_MICROS_LEN],
    char uuid[FILES_UUID_LEN]);

/* GET /api/storage/files: filters category, subcategory, entityId,
 * fileType; newest first; cursor pagination (limit 1..200, default 50). */
enum err files_list(struct req *r, const struct identity *id);

/* GET /api/storage/files/{id}: one stored file of this customer, or 404. */
enum err files_get(struct req *r, const struct identity *id, const char *file_id);

/*
 * What a download link of customer_id's stored file file_id needs, into
 * *out (strings in the request pool).  ERR_OK; ERR_NOTFOUND when there is
 * no such stored file (malformed ids included); ERR_DB; ERR_INTERNAL
 * (*errstr says why).  Nothing is recorded with req_fail(): the caller
 * decides what to say (req_fail_engine()).
 */
enum err files_link_ref(struct req *r, const char *customer_id, const char *file_id,
    struct link_file *out, const char **errstr);

/*
 * Delete by id or (when file_id is NULL) by storage key: the row and the
 * usage go in one transaction, then the object is removed (a failed removal
 * is left to the reconciler).  Answers the seed's delete response itself;
 * a file that is not this customer's live file is 404 FILE_NOT_FOUND.
 */
enum err files_delete(struct req *r, const struct identity *id, const char *file_id,
    const char *storage_key);

#endif
