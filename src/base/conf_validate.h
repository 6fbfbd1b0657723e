/* conf_validate.h - rules across keys, key files and URLs, checked once a configuration is parsed. */
#ifndef COFFER_CONF_VALIDATE_H
#define COFFER_CONF_VALIDATE_H

#include <stddef.h>

struct conf;

/*
 * Check conf as conf_load() parsed it: rules that span keys (S3, auth,
 * allowed types, public URL, CORS origins), and load the key files the
 * settings name (JWT public key, link secret) into conf.  0, or -1 with
 * one line for people in errbuf naming the key.
 */
int conf_validate_all(struct conf *conf, char *errbuf, size_t errlen);

#endif
