/* api_tus.h - resumable uploads, tus 1.0 (core, creation, creation-with-upload, termination, expiration). */
#ifndef COFFER_API_TUS_H
#define COFFER_API_TUS_H

#include "base/err.h"
#include "engine/identity.h"
#include "http/req.h"

/* OPTIONS /api/storage/uploads[/{id}]: the server's tus capabilities. */
enum err api_tus_options(struct req *r, const struct identity *id);
/* POST /api/storage/uploads: create (reserving quota), maybe with data. */
enum err api_tus_create(struct req *r, const struct identity *id);
/* HEAD /api/storage/uploads/{id}: the offset to resume from. */
enum err api_tus_head(struct req *r, const struct identity *id);
/* PATCH /api/storage/uploads/{id}: append a chunk; the last one commits. */
enum err api_tus_patch(struct req *r, const struct identity *id);
/* DELETE /api/storage/uploads/{id}: terminate, releasing the quota. */
enum err api_tus_delete(struct req *r, const struct identity *id);

#endif
