/* store.c - choosing the storage backend named by the configuration. */
#include "config.h"

#include <stddef.h>

#include "store.h"

const struct store_backend *
store_lookup(const struct conf *conf)
{
	switch (conf->storage_type) {
	case STORAGE_LOCAL:
		return &store_local_backend;
	case STORAGE_S3:
		return &store_s3_backend;
	default:
		return NULL;
	}
}
