/* api_files.h - the file routes beyond the seed: list, one file, delete by id. */
#ifndef COFFER_API_FILES_H
#define COFFER_API_FILES_H

#include "http/req.h"

enum err api_files_list(struct req *r, const struct identity *id);		/* GET /api/storage/files */
enum err api_files_get(struct req *r, const struct identity *id);		/* GET /api/storage/files/{id} */
enum err api_files_delete(struct req *r, const struct identity *id);	/* DELETE /api/storage/files/{id} */

#endif
