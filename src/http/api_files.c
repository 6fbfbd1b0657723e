/* api_files.c - route handlers over files.c, after identity and authorization. */
#include "config.h"

#include "http/api_files.h"
#include "http/authz.h"
#include "http/files.h"
#include "engine/identity.h"

enum err
api_files_list(struct req *r)
{
	const struct identity *id;
	enum err rc;

	if ((rc = authz_check(r, AUTHZ_FILES_READ, &id)) != ERR_OK)
		return rc;
	return files_list(r, id);
}

enum err
api_files_get(struct req *r)
{
	const struct identity *id;
	enum err rc;

	if ((rc = authz_check(r, AUTHZ_FILES_READ, &id)) != ERR_OK)
		return rc;
	return files_get(r, id, r->args[0]);
}

enum err
api_files_delete(struct req *r)
{
	const struct identity *id;
	enum err rc;

	if ((rc = authz_check(r, AUTHZ_FILES_WRITE, &id)) != ERR_OK)
		return rc;
	return files_delete(r, id, r->args[0], NULL);
}
