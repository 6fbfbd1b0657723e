/* api_storage.h - the seed's storage routes and their raw-body sibling. */
#ifndef COFFER_API_STORAGE_H
#define COFFER_API_STORAGE_H

#include "http/req.h"

enum err api_storage_quota(struct req *r, const struct identity *id);	/* GET /api/storage/quota */
enum err api_storage_stats(struct req *r, const struct identity *id);	/* GET /api/storage/stats */
enum err api_storage_upload(struct req *r, const struct identity *id);	/* POST /api/storage/upload (multipart) */
enum err api_storage_put(struct req *r, const struct identity *id);	/* PUT /api/storage/files?category=... (raw) */
enum err api_storage_delete_path(struct req *r, const struct identity *id);	/* DELETE /api/storage/file {"filePath"} */
enum err api_storage_recalculate(struct req *r, const struct identity *id);	/* POST /api/storage/recalculate */
enum err api_storage_taxonomy(struct req *r, const struct identity *id);	/* GET /api/storage/taxonomy */

#endif
