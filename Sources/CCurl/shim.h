#ifndef BREAKGLASS_CCURL_SHIM_H
#define BREAKGLASS_CCURL_SHIM_H
// libcurl for Swift. curl_easy_setopt and curl_easy_getinfo are variadic; each argument type gets its
// own typed inline wrapper, prefixed bg_, so a wrong type is a compile error rather than a crash.
#include <curl/curl.h>

typedef size_t (*bg_curl_write_callback)(char *data, size_t size, size_t count, void *userdata);
typedef int (*bg_curl_xferinfo_callback)(void *userdata, curl_off_t dltotal, curl_off_t dlnow,
                                         curl_off_t ultotal, curl_off_t ulnow);

static inline CURLcode bg_curl_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode bg_curl_setopt_off(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode bg_curl_setopt_string(CURL *h, CURLoption o, const char *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode bg_curl_setopt_pointer(CURL *h, CURLoption o, void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode bg_curl_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode bg_curl_setopt_write_function(CURL *h, CURLoption o, bg_curl_write_callback v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode bg_curl_setopt_xferinfo_function(CURL *h, bg_curl_xferinfo_callback v) { return curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, v); }

static inline CURLcode bg_curl_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode bg_curl_getinfo_string(CURL *h, CURLINFO i, char **v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode bg_curl_getinfo_double(CURL *h, CURLINFO i, double *v) { return curl_easy_getinfo(h, i, v); }

#endif
