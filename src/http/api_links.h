/* api_links.h - download links: issuing them, and serving /dl/ links of the local backend. */
#ifndef COFFER_API_LINKS_H
#define COFFER_API_LINKS_H

#include "http/req.h"

enum err api_links_url(struct req *r, const struct identity *id);		/* GET /api/storage/files/{id}/url */
enum err api_links_download(struct req *r, const struct identity *id);	/* GET /dl/{customer}/{file id}?exp=&sig= */

#endif
