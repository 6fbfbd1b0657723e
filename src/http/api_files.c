/* api_files.c - route handlers over files.c; the router has checked who may call them. */
#include "config.h"

#include "http/api_files.h"
#include "http/files.h"
#include "engine/identity.h"

enum err
api_files_list(struct req *r, const struct identity *id)
{
	return files_list(r, id);
}

enum err
api_files_get(struct req *r, const struct identity *id)
{
	return files_get(r, id, r->args[0]);
}

enum err
api_files_delete(struct req *r, const struct identity *id)
{
	return files_delete(r, id, r->args[0], NULL);
}
