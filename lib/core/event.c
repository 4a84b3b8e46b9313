/* event.c - a webhook payload as the handlers see it: the few fields they
 * decide on, checked once (pure).
 * Layer: core (README, "Map of the code"). */
#include "event.h"

#include <json.h>
#include <stdint.h>
#include <string.h>

#include "jobrec.h"
#include "names.h"

#define JSON_MAX_DEPTH 64

/* The object at a dotted path ("comment.user.login"), or NULL. */
static struct json_object *at(struct json_object *root, const char *path)
{
	char key[64];
	struct json_object *o = root;

	while (o && *path) {
		size_t n = strcspn(path, ".");

		if (n >= sizeof(key) || !json_object_is_type(o, json_type_object))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		if (!json_object_object_get_ex(o, key, &o))
			return NULL;
		path += n + (path[n] == '.');
	}
	return o;
}

/* A string field: "" when absent or null; -1 when of another type. */
static int str_at(struct json_object *root, const char *path, const char **out)
{
	struct json_object *o = at(root, path);

	*out = "";
	if (!o)
		return 0;
	if (!json_object_is_type(o, json_type_string))
		return -1;
	*out = json_object_get_string(o);
	return 0;
}

/* A positive integer field: 0 when absent or null; -1 otherwise wrong. */
static int id_at(struct json_object *root, const char *path, long long *out)
{
	struct json_object *o = at(root, path);
	int64_t v;

	*out = 0;
	if (!o)
		return 0;
	if (!json_object_is_type(o, json_type_int))
		return -1;
	v = json_object_get_int64(o);
	if (v <= 0 || v == INT64_MAX) /* INT64_MAX: json-c's saturation */
		return -1;
	*out = (long long)v;
	return 0;
}

static int has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

static int is_closed(struct json_object *root, const char *path)
{
	const char *state;

	return str_at(root, path, &state) == 0 && strcmp(state, "closed") == 0;
}

static int is_bot(struct json_object *root, const char *path)
{
	const char *type;

	return str_at(root, path, &type) == 0 && strcmp(type, "Bot") == 0;
}

/* Each check names the field it refuses. */
static int bad(struct err *e, const char *field)
{
	return err_set(e, ERR_INVAL, "payload field %s is malformed", field);
}

static int login_at(struct json_object *root, const char *path,
		    const char **out, struct err *e)
{
	if (str_at(root, path, out) < 0 || (**out && !names_valid_login(*out)))
		return bad(e, path);
	return 0;
}

static int parse_common(struct event *ev, struct err *e)
{
	struct json_object *r = ev->root;

	if (str_at(r, "action", &ev->action) < 0 ||
	    (*ev->action && !names_valid_label(ev->action)))
		return bad(e, "action");
	if (str_at(r, "repository.full_name", &ev->repo) < 0 ||
	    (*ev->repo && !names_valid_repo(ev->repo)))
		return bad(e, "repository.full_name");
	if (id_at(r, "installation.id", &ev->installation) < 0)
		return bad(e, "installation.id");
	if (login_at(r, "sender.login", &ev->sender, e) < 0)
		return -1;
	ev->sender_bot = is_bot(r, "sender.type");
	if (str_at(r, "label.name", &ev->label) < 0 ||
	    (*ev->label && !names_valid_label(ev->label)))
		return bad(e, "label.name");
	return 0;
}

/* The issue or pull request the event is about. */
static int parse_issue(struct event *ev, struct err *e)
{
	struct json_object *r = ev->root;

	if (at(r, "pull_request") && strcmp(ev->name, "pull_request") == 0) {
		ev->is_pr = 1;
		ev->closed = is_closed(r, "pull_request.state");
		if (id_at(r, "pull_request.number", &ev->issue) < 0)
			return bad(e, "pull_request.number");
		if (str_at(r, "pull_request.head.sha", &ev->head_sha) < 0 ||
		    (*ev->head_sha && !names_valid_sha(ev->head_sha)))
			return bad(e, "pull_request.head.sha");
		if (str_at(r, "pull_request.base.ref", &ev->base_ref) < 0 ||
		    strlen(ev->base_ref) > NAMES_REF_MAX || has_ctl(ev->base_ref))
			return bad(e, "pull_request.base.ref");
	} else if (at(r, "issue")) {
		if (id_at(r, "issue.number", &ev->issue) < 0)
			return bad(e, "issue.number");
		ev->is_pr = at(r, "issue.pull_request") != NULL;
		ev->closed = is_closed(r, "issue.state");
	}
	return 0;
}

static int parse_comment(struct event *ev, struct err *e)
{
	struct json_object *r = ev->root;

	if (!at(r, "comment"))
		return 0;
	if (id_at(r, "comment.id", &ev->comment_id) < 0)
		return bad(e, "comment.id");
	if (str_at(r, "comment.body", &ev->comment_body) < 0 ||
	    strlen(ev->comment_body) > EVENT_MAX_COMMENT)
		return bad(e, "comment.body");
	if (login_at(r, "comment.user.login", &ev->comment_user, e) < 0)
		return -1;
	ev->comment_bot = is_bot(r, "comment.user.type");
	if (id_at(r, "comment.performed_via_github_app.id", &ev->comment_app) < 0)
		return bad(e, "comment.performed_via_github_app.id");
	if (str_at(r, "comment.created_at", &ev->comment_created) < 0 ||
	    strlen(ev->comment_created) > 32)
		return bad(e, "comment.created_at");
	return 0;
}

int event_parse(const char *name, const char *delivery, const char *body,
		size_t len, struct event *ev, struct err *e)
{
	struct json_tokener *tok;

	memset(ev, 0, sizeof(*ev));
	/* only pull_request events set these, only events with a comment
	 * those: absent, they are "" as the header promises (fuzz_event) */
	ev->head_sha = ev->base_ref = "";
	ev->comment_body = ev->comment_user = ev->comment_created = "";
	ev->name = name;
	ev->delivery = delivery;
	if (len > (size_t)INT32_MAX)
		return err_set(e, ERR_TOOBIG, "payload too large");
	tok = json_tokener_new_ex(JSON_MAX_DEPTH);
	if (!tok)
		return err_set(e, ERR_NOMEM, "json tokener");
	ev->root = json_tokener_parse_ex(tok, body, (int)len);
	if (!ev->root || json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len ||
	    !json_object_is_type(ev->root, json_type_object)) {
		json_tokener_free(tok);
		event_release(ev);
		return err_set(e, ERR_INVAL, "payload is not a JSON object");
	}
	json_tokener_free(tok);
	if (parse_common(ev, e) < 0 || parse_issue(ev, e) < 0 ||
	    parse_comment(ev, e) < 0) {
		event_release(ev);
		return -1;
	}
	return 0;
}

void event_release(struct event *ev)
{
	json_object_put(ev->root);
	memset(ev, 0, sizeof(*ev)); /* nothing points into the freed JSON */
}
