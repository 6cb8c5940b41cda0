/* test_state.c: the state module (state.h, snapshot.h): canonical
 * serialisation (escaping, ordering, base64, symlinks, CR, non-ASCII), the
 * parser's accepted forms and every rejection class with its message and
 * byte offset, the caps, lookup, clone/equal, edits, and real-directory
 * snapshots. Table-driven; the seed-eval golden test is test_state_golden.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "state/snapshot.h"
#include "state/state.h"

#define DM "mtime=\"2025-01-01T00:00:00\""
#define FM "mtime=\"2025-01-01T00:00:01\""
#define OG "owner=\"root\" group=\"root\""
#define D(p, n) "<directory path=\"" p "\" name=\"" n "\" mode=\"755\" " OG " " DM
#define F(p, n, sz) "<file path=\"" p "\" name=\"" n "\" mode=\"644\" " OG " " FM " size=\"" sz "\">"
#define L(p, n, t) "<symlink path=\"" p "\" name=\"" n "\" mode=\"777\" " OG " " DM " target=\"" t "\" />"
#define ROOT "<filesystem>" D("/", "/") ">"
#define END "</directory></filesystem>"
#define EMPTY "<filesystem>" D("/", "/") " /></filesystem>"

/* Parses in (n bytes) and returns its canonical serialisation (caller
 * frees), or NULL with err filled. */
static char *canon(const char *in, size_t n, int mode, int *warn, lf_err *err)
{
    lf_state *st = NULL;
    if (lf_state_parse(in, n, mode, &st, warn, err))
        return NULL;
    lf_buf b;
    lf_buf_init(&b, 0);
    assert_int_equal(lf_state_serialize(st, &b), 0);
    lf_state_free(st);
    return lf_buf_steal(&b, NULL);
}

/* ---- serialiser on trees built through the API ------------------------- */

static lf_node *add(lf_node *dir, lf_node_kind k, const char *name, unsigned mode)
{
    lf_node *n = lf_node_new(k, name, mode, "root", "root");
    assert_non_null(n);
    assert_int_equal(lf_node_add_child(dir, n), 0);
    return n;
}

static void expect_serial(const lf_state *st, const char *want)
{
    lf_buf b;
    lf_buf_init(&b, 0);
    assert_int_equal(lf_state_serialize(st, &b), 0);
    assert_string_equal(b.data, want);
    /* and it parses back (strictly) to an equal tree */
    lf_state *back = NULL;
    lf_err err = {0};
    if (lf_state_parse(b.data, b.len, LF_PARSE_STRICT, &back, NULL, &err))
        fail_msg("reparse: %s", err.msg);
    assert_true(lf_state_equal(st, back));
    lf_state_free(back);
    lf_buf_free(&b);
}

static void test_serialize_empty(void **u)
{
    (void)u;
    lf_state *st = lf_state_new("root", "root");
    expect_serial(st, "<filesystem><directory path=\"/\" name=\"/\" mode=\"755\" owner=\"root\" "
                      "group=\"root\" mtime=\"2025-01-01T00:00:00\" /></filesystem>");
    lf_state_free(st);
}

static void test_serialize_escaping(void **u)
{
    (void)u;
    lf_state *st = lf_state_new("us&er", "gr\"p");
    lf_node *f = add(st->root, LF_NODE_FILE, "a&b<c>'d\"\t\n\r", 0600);
    static const char body[] = "x -> <b> & \"q\" 'y'\r\n\ttab \xC3\xA9";
    assert_int_equal(lf_node_set_data(f, body, sizeof body - 1), 0);
    expect_serial(st, "<filesystem><directory path=\"/\" name=\"/\" mode=\"755\" owner=\"us&amp;er\" "
                      "group=\"gr&quot;p\" " DM ">"
                      "<file path=\"a&amp;b&lt;c&gt;'d&quot;&#09;&#10;&#13;\" "
                      "name=\"a&amp;b&lt;c&gt;'d&quot;&#09;&#10;&#13;\" mode=\"600\" " OG " " FM
                      " size=\"27\"><body>x -&gt; &lt;b&gt; &amp; \"q\" 'y'&#13;\n\ttab \xC3\xA9</body></file>"
                      END);
    lf_state_free(st);
}

static void test_serialize_order(void **u)
{
    (void)u;
    lf_state *st = lf_state_new("root", "root");
    /* inserted out of order, kinds mixed: bytewise order, kinds interleaved */
    static const char *const names[] = {"b", "\xC3\xA9", "B", "_", ".x", "a", "Z", "a.txt", "a0"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        lf_node_kind k = (lf_node_kind)(i % 3);
        lf_node *n = add(st->root, k, names[i], k == LF_NODE_LINK ? 0777 : k == LF_NODE_DIR ? 0755 : 0644);
        if (k == LF_NODE_LINK)
            assert_int_equal(lf_node_set_str(&n->target, "t"), 0);
    }
    expect_serial(st, ROOT F(".x", ".x", "0") "<body /></file>" L("B", "B", "t") D("Z", "Z") " />"
                      D("_", "_") " />" L("a", "a", "t") F("a.txt", "a.txt", "0") "<body /></file>"
                      L("a0", "a0", "t") D("b", "b") " />"
                      "<file path=\"\xC3\xA9\" name=\"\xC3\xA9\" mode=\"644\" " OG " " FM
                      " size=\"0\"><body /></file>" END);
    lf_state_free(st);
}

static void test_serialize_bodies(void **u)
{
    (void)u;
    static const struct { const char *data; size_t n; const char *body; } cases[] = {
        {"", 0, "<body />"},
        {"\x00\x01\x02", 3, "<body encoding=\"base64\">AAEC</body>"},
        {"\xFF", 1, "<body encoding=\"base64\">/w==</body>"},
        {"a\x7F", 2, "<body encoding=\"base64\">YX8=</body>"},
        {"\xC3", 1, "<body encoding=\"base64\">ww==</body>"},
        {"\t\n\r", 3, "<body>\t\n&#13;</body>"},
        {"\xF0\x9F\x98\x80", 4, "<body>\xF0\x9F\x98\x80</body>"},
        {"a\0b", 3, "<body encoding=\"base64\">YQBi</body>"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lf_state *st = lf_state_new("root", "root");
        lf_node *f = add(st->root, LF_NODE_FILE, "f", 0644);
        assert_int_equal(lf_node_set_data(f, cases[i].data, cases[i].n), 0);
        char want[512];
        snprintf(want, sizeof want, ROOT "<file path=\"f\" name=\"f\" mode=\"644\" " OG " " FM
                 " size=\"%zu\">%s</file>" END, cases[i].n, cases[i].body);
        expect_serial(st, want);
        lf_state_free(st);
    }
}

static void test_serialize_nested_symlink_modes(void **u)
{
    (void)u;
    lf_state *st = lf_state_new("alice", "staff");
    st->root->mode = 0700;
    lf_node *d = add(st->root, LF_NODE_DIR, "d", 04755);
    lf_node *e = add(d, LF_NODE_DIR, "e", 0);
    lf_node *l = add(e, LF_NODE_LINK, "l", 0777);
    assert_int_equal(lf_node_set_str(&l->target, "../x \"y\" & <z>"), 0);
    expect_serial(st, "<filesystem><directory path=\"/\" name=\"/\" mode=\"700\" owner=\"alice\" "
                      "group=\"staff\" " DM "><directory path=\"d\" name=\"d\" mode=\"4755\" " OG " " DM ">"
                      "<directory path=\"d/e\" name=\"e\" mode=\"0\" " OG " " DM ">"
                      L("d/e/l", "l", "../x &quot;y&quot; &amp; &lt;z&gt;") "</directory></directory>" END);
    lf_state_free(st);
}

static void test_serialize_unrepresentable(void **u)
{
    (void)u;
    static const char *const bad[] = {"a\x01", "\xFF", "a\x7F"};
    for (int field = 0; field < 3; field++) {
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            lf_state *st = lf_state_new("root", "root");
            lf_node *n = add(st->root, field == 2 ? LF_NODE_LINK : LF_NODE_FILE, field == 0 ? bad[i] : "x", 0644);
            if (field == 1)
                assert_int_equal(lf_node_set_str(&n->owner, bad[i]), 0);
            if (field == 2)
                assert_int_equal(lf_node_set_str(&n->target, bad[i]), 0);
            lf_buf b;
            lf_buf_init(&b, 0);
            assert_int_equal(lf_buf_puts(&b, "keep"), 0);
            assert_int_equal(lf_state_serialize(st, &b), -EINVAL);
            assert_string_equal(b.data, "keep");    /* nothing half-written */
            lf_buf_free(&b);
            lf_state_free(st);
        }
    }
}

static void test_serialize_cap(void **u)
{
    (void)u;
    lf_state *st = lf_state_new("root", "root");
    lf_buf b;
    lf_buf_init(&b, 20);
    assert_int_equal(lf_state_serialize(st, &b), -E2BIG);
    assert_int_equal(b.len, 0);
    lf_buf_free(&b);
    lf_state_free(st);
}

/* ---- parser: accepted forms ------------------------------------------- */

static const struct accept_case {
    const char *what, *in;
    int mode;
    const char *want;
    int warnings;
} accepts[] = {
    {"canonical empty", EMPTY, LF_PARSE_STRICT, EMPTY, 0},
    {"attribute order, whitespace, quotes, leading-zero mode",
     "\n <filesystem >\n <directory mtime='x' group=\"root\" owner='root' mode=\"0755\" name=\"/\" path = \"/\" >\n"
     "  <file size=\"2\" mtime=\"\" group=\"root\" owner=\"root\" mode=\"644\" name=\"a\" path=\"a\">\n"
     "  <body>hi</body>\n  </file >\n</directory>\n</filesystem >\n\n",
     LF_PARSE_STRICT, ROOT F("a", "a", "2") "<body>hi</body></file>" END, 0},
    {"entities and character references",
     ROOT F("a", "a", "11") "<body>&amp;&lt;&gt;&quot;&apos;&#65;&#x42;&#13;&#xe9;&#x1F600;</body></file>" END,
     LF_PARSE_STRICT, ROOT F("a", "a", "14") "<body>&amp;&lt;&gt;\"'AB&#13;\xC3\xA9\xF0\x9F\x98\x80</body></file>" END,
     -1 /* size check fails: see below */},
    {"empty bodies", ROOT F("a", "a", "0") "<body></body></file>" F("b", "b", "0") "<body/></file>"
     F("c", "c", "0") "</file>" "<file path=\"d\" name=\"d\" mode=\"644\" " OG " " FM " size=\"0\" />" END,
     LF_PARSE_STRICT, ROOT F("a", "a", "0") "<body /></file>" F("b", "b", "0") "<body /></file>"
     F("c", "c", "0") "<body /></file>" F("d", "d", "0") "<body /></file>" END, 0},
    {"base64 bodies", ROOT F("a", "a", "3") "<body encoding=\"base64\">AAEC</body></file>"
     F("b", "b", "2") "<body encoding='base64'>aGk=</body></file>"
     F("c", "c", "0") "<body encoding=\"base64\"/></file>"
     F("d", "d", "6") "<body encoding=\"base64\">\n AAEC\r\n AAEC \n</body></file>" END,
     LF_PARSE_STRICT, ROOT F("a", "a", "3") "<body encoding=\"base64\">AAEC</body></file>"
     F("b", "b", "2") "<body>hi</body></file>" F("c", "c", "0") "<body /></file>"
     F("d", "d", "6") "<body encoding=\"base64\">AAECAAEC</body></file>" END, 0},
    {"raw CR LF and CR read as LF", ROOT F("a", "a", "5") "<body>a\r\nb\rc</body></file>" END,
     LF_PARSE_STRICT, ROOT F("a", "a", "5") "<body>a\nb\nc</body></file>" END, 0},
    {"character references in names; raw whitespace in attributes",
     ROOT "<file path=\"a&#9;b&#10;c&#13;d\" name=\"a&#9;b&#10;c&#13;d\" mode=\"644\" owner=\"x\ty\r\nz\" group=\"root\" " FM
     " size=\"0\" />" END,
     LF_PARSE_STRICT, ROOT "<file path=\"a&#09;b&#10;c&#13;d\" name=\"a&#09;b&#10;c&#13;d\" mode=\"644\" owner=\"x y z\" group=\"root\" " FM
     " size=\"0\"><body /></file>" END, 0},
    {"children sorted bytewise whatever the input order",
     ROOT D("b", "b") "/>" F("\xC3\xB1", "\xC3\xB1", "0") "</file>" D("B", "B") "/>" L("_", "_", "t")
     F(".x", ".x", "0") "</file>" D("a", "a") ">" D("a/z", "z") "/>" D("a/y", "y") "/></directory>" END,
     LF_PARSE_STRICT, ROOT F(".x", ".x", "0") "<body /></file>" D("B", "B") " />" L("_", "_", "t")
     D("a", "a") ">" D("a/y", "y") " />" D("a/z", "z") " /></directory>" D("b", "b") " />"
     F("\xC3\xB1", "\xC3\xB1", "0") "<body /></file>" END, 0},
    {"symlinks, both forms", ROOT "<symlink path=\"l\" name=\"l\" mode=\"777\" " OG " " DM
     " target=\"../a &amp; &quot;b&quot;\"></symlink>" L("m", "m", "/abs/x") END,
     LF_PARSE_STRICT, ROOT L("l", "l", "../a &amp; &quot;b&quot;") L("m", "m", "/abs/x") END, 0},
    {"BOM, declaration, comments",
     "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- a -->\n<filesystem><!-- b -->" D("/", "/")
     "><!-- c -->" F("a", "a", "1") "<!-- d --><body>x<!-- e --></body></file></directory></filesystem><!-- f -->\n",
     LF_PARSE_STRICT, ROOT F("a", "a", "1") "<body>x</body></file>" END, 0},
    {"CDATA in a body", ROOT F("a", "a", "4") "<body><![CDATA[<a>&]]></body></file>" END, LF_PARSE_STRICT,
     ROOT F("a", "a", "4") "<body>&lt;a&gt;&amp;</body></file>" END, 0},
    {"non-ASCII names and bodies", ROOT D("\xC3\xB1" "and\xC3\xBA", "\xC3\xB1" "and\xC3\xBA") ">"
     F("\xC3\xB1" "and\xC3\xBA/\xE6\x97\xA5", "\xE6\x97\xA5", "3") "<body>\xE6\x97\xA5</body></file></directory>" END,
     LF_PARSE_STRICT, ROOT D("\xC3\xB1" "and\xC3\xBA", "\xC3\xB1" "and\xC3\xBA") ">"
     F("\xC3\xB1" "and\xC3\xBA/\xE6\x97\xA5", "\xE6\x97\xA5", "3") "<body>\xE6\x97\xA5</body></file></directory>" END, 0},
    {"modes", ROOT "<directory path=\"a\" name=\"a\" mode=\"4755\" " OG " " DM " />"
     "<directory path=\"b\" name=\"b\" mode=\"0\" " OG " " DM " />"
     "<directory path=\"c\" name=\"c\" mode=\"007777\" " OG " " DM " />" END,
     LF_PARSE_STRICT, ROOT "<directory path=\"a\" name=\"a\" mode=\"4755\" " OG " " DM " />"
     "<directory path=\"b\" name=\"b\" mode=\"0\" " OG " " DM " />"
     "<directory path=\"c\" name=\"c\" mode=\"7777\" " OG " " DM " />" END, 0},
    {"lenient: size and body disagree, the body wins", ROOT F("a", "a", "46") "<body></body></file>" END,
     LF_PARSE_LENIENT, ROOT F("a", "a", "0") "<body /></file>" END, 1},
    {"lenient: defaults for missing attributes",
     "<filesystem><directory path=\"/\">" "<directory path=\"d\"><file path=\"d/f\"/></directory></directory></filesystem>",
     LF_PARSE_LENIENT, ROOT D("d", "d") ">" "<file path=\"d/f\" name=\"f\" mode=\"755\" " OG " " FM
     " size=\"0\"><body /></file></directory>" END, 5 + 5 + 6},
    {"lenient: slashes around paths", "<filesystem>" D("", "/") ">" D("/d/", "d") " /></directory></filesystem>",
     LF_PARSE_LENIENT, ROOT D("d", "d") " />" END, 0},
};

static void test_parse_accepts(void **u)
{
    (void)u;
    for (size_t i = 0; i < sizeof accepts / sizeof accepts[0]; i++) {
        const struct accept_case *c = &accepts[i];
        if (c->warnings < 0)
            continue;
        int warn = -1;
        lf_err err = {0};
        char *got = canon(c->in, strlen(c->in), c->mode, &warn, &err);
        if (!got)
            fail_msg("case '%s': %s", c->what, err.msg);
        if (strcmp(got, c->want) != 0)
            fail_msg("case '%s':\n got:  %s\n want: %s", c->what, got, c->want);
        assert_int_equal(warn, c->warnings);
        /* the output is canonical: a strict fixed point */
        char *again = canon(got, strlen(got), LF_PARSE_STRICT, NULL, &err);
        assert_non_null(again);
        assert_string_equal(again, got);
        free(again);
        free(got);
    }
}

static void test_parse_references(void **u)
{
    (void)u;
    /* The entity case above declares size 11 but decodes to 14 bytes. */
    const struct accept_case *c = &accepts[2];
    lf_err err = {0};
    assert_null(canon(c->in, strlen(c->in), LF_PARSE_STRICT, NULL, &err));
    assert_non_null(strstr(err.msg, "size=\"11\" disagrees with the body's 14 bytes"));
    int warn = 0;
    char *got = canon(c->in, strlen(c->in), LF_PARSE_LENIENT, &warn, &err);
    assert_non_null(got);
    assert_string_equal(got, c->want);
    assert_int_equal(warn, 1);
    free(got);
}

/* ---- parser: rejections ------------------------------------------------ */

static const struct reject_case {
    const char *in;
    int mode;
    const char *msg;   /* substring of the message */
    const char *at;    /* the message names the offset of this substring of in */
} rejects[] = {
    {"", LF_PARSE_LENIENT, "empty document", ""},
    {"  \n", LF_PARSE_STRICT, "empty document", ""},
    {"hello", LF_PARSE_STRICT, "expected <filesystem>", "hello"},
    {"<foo/>", LF_PARSE_STRICT, "unknown element <foo>", "<foo"},
    {"<directory path=\"/\"/>", LF_PARSE_LENIENT, "document element must be <filesystem>", "<directory"},
    {"<filesystem/>", LF_PARSE_LENIENT, "holds no root <directory>", "<filesystem"},
    {"<filesystem>  </filesystem>", LF_PARSE_STRICT, "holds no root <directory>", "<filesystem"},
    {"<filesystem x=\"1\">", LF_PARSE_STRICT, "unknown attribute 'x' on <filesystem>", "x="},
    {ROOT "<dir path=\"a\"/>" END, LF_PARSE_STRICT, "unknown element <dir>", "<dir "},
    {ROOT D("a", "a") " color=\"red\"/>" END, LF_PARSE_STRICT, "unknown attribute 'color' on <directory>", "color"},
    {ROOT F("a", "a", "0") "<body x=\"1\"/></file>" END, LF_PARSE_STRICT, "unknown attribute 'x' on <body>", "x="},
    {ROOT D("a", "a") "/>" F("a", "a", "0") "</file>" END, LF_PARSE_LENIENT, "duplicate path 'a'", "<file "},
    {ROOT D("d", "d") ">" D("d/a", "a") "/>" D("d/a", "a") "/></directory>" END, LF_PARSE_STRICT,
     "duplicate path 'd/a'", "<directory path=\"d/a\" name=\"a\" mode=\"755\" owner=\"root\" group=\"root\" mtime=\"2025-01-01T00:00:00\"/></"},
    {ROOT F("b", "a", "0") "</file>" END, LF_PARSE_STRICT, "path 'b' disagrees with its place in the tree ('a')", "path=\"b\""},
    {ROOT D("d", "d") ">" F("a", "a", "0") "</file></directory>" END, LF_PARSE_STRICT,
     "path 'a' disagrees with its place in the tree ('d/a')", "path=\"a\""},
    {ROOT D("/d", "d") "/>" END, LF_PARSE_STRICT, "path '/d' disagrees", "path=\"/d\""},
    {ROOT F("a", "a", "3") "<body>hi</body></file>" END, LF_PARSE_STRICT,
     "size=\"3\" disagrees with the body's 2 bytes", "<file "},
    {ROOT F("a", "a", "46") "<body></body></file>" END, LF_PARSE_STRICT, "size=\"46\" disagrees with the body's 0 bytes", "<file "},
    {ROOT F("a", "a", "x1") "</file>" END, LF_PARSE_LENIENT, "size 'x1' is not a decimal number", "size="},
    {ROOT F("a", "a", "-1") "</file>" END, LF_PARSE_LENIENT, "size '-1' is not a decimal number", "size="},
    {ROOT "<directory path=\"a\" name=\"a\" mode=\"8\" " OG " " DM "/>" END, LF_PARSE_LENIENT, "mode '8' is not an octal number", "mode=\"8\""},
    {ROOT "<directory path=\"a\" name=\"a\" mode=\"75a\" " OG " " DM "/>" END, LF_PARSE_STRICT, "mode '75a' is not an octal number", "mode=\"75a\""},
    {ROOT "<directory path=\"a\" name=\"a\" mode=\"\" " OG " " DM "/>" END, LF_PARSE_STRICT, "mode '' is not an octal number", "mode=\"\""},
    {ROOT "<directory path=\"a\" name=\"a\" mode=\"0o755\" " OG " " DM "/>" END, LF_PARSE_STRICT, "is not an octal number", "mode=\"0o755\""},
    {ROOT "<directory path=\"a\" name=\"a\" mode=\"17777\" " OG " " DM "/>" END, LF_PARSE_STRICT, "has bits beyond 07777", "mode=\"17777\""},
    {ROOT F("a", "a", "1") "<body>\xFF</body></file>" END, LF_PARSE_LENIENT, "invalid UTF-8", "\xFF"},
    {ROOT F("a", "a", "2") "<body>\xC0\xAF</body></file>" END, LF_PARSE_LENIENT, "invalid UTF-8", "\xC0"},
    {ROOT F("a", "a", "3") "<body>\xED\xA0\x80</body></file>" END, LF_PARSE_LENIENT, "invalid UTF-8", "\xED"},
    {ROOT F("a", "a", "1") "<body>\xE6\x97</body></file>" END, LF_PARSE_LENIENT, "invalid UTF-8", "\xE6"},
    {ROOT F("a", "a", "1") "<body encoding=\"base64\">A</body></file>" END, LF_PARSE_LENIENT, "bad base64", "<body"},
    {ROOT F("a", "a", "1") "<body encoding=\"base64\">Zg=</body></file>" END, LF_PARSE_LENIENT, "bad base64", "<body"},
    {ROOT F("a", "a", "1") "<body encoding=\"base64\">Z-==</body></file>" END, LF_PARSE_LENIENT, "bad base64", "<body"},
    {ROOT F("a", "a", "1") "<body encoding=\"hex\">00</body></file>" END, LF_PARSE_LENIENT, "unknown body encoding 'hex'", "encoding"},
    {ROOT F("a", "a", "1") "<body>\x01</body></file>" END, LF_PARSE_LENIENT, "raw control byte 0x01", "\x01"},
    {ROOT F("a", "a", "1") "<body>\x7F\x1B</body></file>" END, LF_PARSE_LENIENT, "raw control byte 0x1b", "\x1B"},
    {ROOT "hello" END, LF_PARSE_LENIENT, "text outside <body>", "hello"},
    {ROOT F("a", "a", "0") "x<body/></file>" END, LF_PARSE_LENIENT, "text outside <body>", "x<body"},
    {ROOT "&amp;" END, LF_PARSE_LENIENT, "text outside <body>", "&amp;"},
    {EMPTY "x", LF_PARSE_LENIENT, "trailing content after </filesystem>", "x"},
    {EMPTY EMPTY, LF_PARSE_LENIENT, "trailing content after </filesystem>", "$" EMPTY},
    {ROOT F("a", "a", "1") "<body>&nbsp;</body></file>" END, LF_PARSE_LENIENT, "unknown entity '&nbsp;'", "&nbsp;"},
    {ROOT F("a", "a", "1") "<body>a & b</body></file>" END, LF_PARSE_LENIENT, "'&' not starting an entity reference", "& b"},
    {ROOT F("a", "a", "1") "<body>&#1;</body></file>" END, LF_PARSE_LENIENT, "U+0001, which XML does not allow", "&#1;"},
    {ROOT F("a", "a", "1") "<body>&#0;</body></file>" END, LF_PARSE_LENIENT, "U+0000", "&#0;"},
    {ROOT F("a", "a", "1") "<body>&#xD800;</body></file>" END, LF_PARSE_LENIENT, "U+D800", "&#x"},
    {ROOT F("a", "a", "1") "<body>&#x110000;</body></file>" END, LF_PARSE_LENIENT, "out of range", "&#x"},
    {ROOT F("a", "a", "1") "<body>&#12a;</body></file>" END, LF_PARSE_LENIENT, "bad character reference '&#12a;'", "&#"},
    {ROOT F("a", "a", "1") "<body>&#;</body></file>" END, LF_PARSE_LENIENT, "empty character reference", "&#"},
    {ROOT D("a<b", "a") "/>" END, LF_PARSE_LENIENT, "'<' in an attribute value", "<b\""},
    {ROOT F("a", "a", "1") "<body><b/></body></file>" END, LF_PARSE_LENIENT, "element inside <body>", "<b/>"},
    {"<filesystem>" D("/", "/") "/>" D("/", "/") "/></filesystem>", LF_PARSE_LENIENT, "exactly one root <directory>", "<directory path=\"/\" name=\"/\" mode=\"755\" owner=\"root\" group=\"root\" mtime=\"2025-01-01T00:00:00\"/></"},
    {ROOT "<body/>" END, LF_PARSE_LENIENT, "<body> inside <directory>", "<body"},
    {ROOT "<filesystem>" END, LF_PARSE_LENIENT, "<filesystem> inside <directory>", "<filesystem></"},
    {"<filesystem>" F("/", "/", "0") "</file></filesystem>", LF_PARSE_LENIENT, "the root must be a <directory>, not <file>", "<file "},
    {"<filesystem>" D("/", "root") "/></filesystem>", LF_PARSE_STRICT, "root directory's name must be '/', not 'root'", "<directory"},
    {"<filesystem>" D("x", "/") "/></filesystem>", LF_PARSE_STRICT, "root directory's path must be '/', not 'x'", "<directory"},
    {ROOT "<directory path=\"a\" name=\"a\" " OG " " DM "/>" END, LF_PARSE_STRICT, "<directory> lacks attribute 'mode'", "<directory path=\"a\""},
    {ROOT "<directory path=\"a\" mode=\"755\" " OG " " DM "/>" END, LF_PARSE_STRICT, "<directory> lacks attribute 'name'", "<directory path=\"a\""},
    {ROOT "<directory name=\"a\" mode=\"755\" " OG " " DM "/>" END, LF_PARSE_STRICT, "<directory> lacks attribute 'path'", "<directory name"},
    {ROOT "<directory path=\"a\" name=\"a\" mode=\"755\" group=\"root\" " DM "/>" END, LF_PARSE_STRICT, "lacks attribute 'owner'", "<directory path=\"a\""},
    {ROOT "<directory path=\"a\" name=\"a\" mode=\"755\" " OG "/>" END, LF_PARSE_STRICT, "lacks attribute 'mtime'", "<directory path=\"a\""},
    {ROOT "<file path=\"a\" name=\"a\" mode=\"644\" " OG " " FM "/>" END, LF_PARSE_STRICT, "<file> lacks attribute 'size'", "<file "},
    {ROOT "<symlink path=\"l\" name=\"l\" mode=\"777\" " OG " " DM "/>" END, LF_PARSE_LENIENT, "<symlink> lacks attribute 'target'", "<symlink"},
    {ROOT F("a", "a", "0") "</directory>" END, LF_PARSE_LENIENT, "</directory> does not close <file>", "</directory></directory>"},
    {ROOT, LF_PARSE_LENIENT, "<directory> at byte 12 is not closed", ""},
    {ROOT F("a", "a", "1") "<body>x", LF_PARSE_LENIENT, "unexpected end of document inside <body>", ""},
    {ROOT D("a", "a"), LF_PARSE_LENIENT, "unterminated tag <directory>", "<directory path=\"a\""},
    {ROOT "<directory path=\"a", LF_PARSE_LENIENT, "unterminated attribute value", "\"a"},
    {ROOT "<directory path=a/>" END, LF_PARSE_LENIENT, "attribute value must be quoted", "a/>"},
    {ROOT "<directory path=\"a\"name=\"a\"/>" END, LF_PARSE_LENIENT, "missing whitespace before an attribute", "$name="},
    {ROOT "<directory path=\"a\" name=\"a\" name=\"b\"/>" END, LF_PARSE_LENIENT, "duplicate attribute 'name' on <directory>", "name=\"b\""},
    {ROOT "<directory path \"a\"/>" END, LF_PARSE_LENIENT, "expected '=' after attribute 'path'", "\"a\"/>"},
    {ROOT "<directory path=\"a\" / >" END, LF_PARSE_LENIENT, "'/' not followed by '>'", "/ >"},
    {ROOT "< directory/>" END, LF_PARSE_LENIENT, "malformed tag", "< dir"},
    {"<!DOCTYPE x [<!ENTITY a \"b\">]>" EMPTY, LF_PARSE_LENIENT, "expected <filesystem>", "<!DOC"},
    {ROOT "<!DOCTYPE x>" END, LF_PARSE_LENIENT, "unsupported markup", "<!DOC"},
    {ROOT "<?pi x?>" END, LF_PARSE_LENIENT, "unsupported markup", "<?pi"},
    {ROOT "<!-- x" END, LF_PARSE_LENIENT, "unterminated comment", "<!--"},
    {ROOT F("a", "a", "1") "<body><![CDATA[x</body></file>" END, LF_PARSE_LENIENT, "unterminated CDATA", "<![CDATA["},
    {ROOT D(".", ".") "/>" END, LF_PARSE_LENIENT, "invalid name '.'", "name=\".\""},
    {ROOT D("..", "..") "/>" END, LF_PARSE_LENIENT, "invalid name '..'", "name=\"..\""},
    {ROOT D("a/b", "a/b") "/>" END, LF_PARSE_LENIENT, "invalid name 'a/b'", "name=\"a/b\""},
    {ROOT D("", "") "/>" END, LF_PARSE_STRICT, "invalid name ''", "name=\"\""},
    {ROOT D("a&#x7F;", "a&#x7F;") "/>" END, LF_PARSE_LENIENT, "name holds control byte 0x7f", "name=\"a&"},
    {ROOT "<directory path=\"a&#x7F;\"/>" END, LF_PARSE_LENIENT, "name holds control byte 0x7f", "<directory path=\"a&"},
    {ROOT "<directory path=\"a\" name=\"a\" mode=\"755\" owner=\"\x7F\" group=\"root\" " DM "/>" END, LF_PARSE_LENIENT,
     "owner holds control byte 0x7f", "owner=\"\x7F"},
    {ROOT "<symlink path=\"l\" name=\"l\" mode=\"777\" " OG " " DM " target=\"\x7F\"/>" END, LF_PARSE_LENIENT,
     "target holds control byte 0x7f", "target="},
    {ROOT F("a", "a", "0") "<body/><body/></file>" END, LF_PARSE_LENIENT, "second <body> in one <file>", "<body/></file>"},
    {ROOT F("a", "a", "0") D("a/b", "b") "/></file>" END, LF_PARSE_LENIENT, "<directory> inside <file>", "<directory path=\"a/b\""},
    {ROOT "<symlink path=\"l\" name=\"l\" mode=\"777\" " OG " " DM " target=\"t\">" F("l/a", "a", "0") "</file></symlink>" END,
     LF_PARSE_LENIENT, "<symlink> cannot hold <file>", "<file "},
};

/* Offset of the case's `at` marker: its first occurrence in the input, the
 * last with a leading '$', the end of the input when empty. */
static size_t marker(const char *in, const char *at)
{
    if (!*at)
        return strlen(in);
    bool last = at[0] == '$';   /* "$x": the last occurrence of x */
    const char *p = strstr(in, at + last), *q;
    assert_non_null(p);
    while (last && (q = strstr(p + 1, at + 1)))
        p = q;
    return (size_t)(p - in);
}

static void test_parse_rejects(void **u)
{
    (void)u;
    for (size_t i = 0; i < sizeof rejects / sizeof rejects[0]; i++) {
        const struct reject_case *c = &rejects[i];
        lf_state *st = (lf_state *)1;
        lf_err err = {0};
        int rc = lf_state_parse(c->in, strlen(c->in), c->mode, &st, NULL, &err);
        if (rc != -EINVAL)
            fail_msg("case %zu (%s): rc %d, want -EINVAL", i, c->msg, rc);
        assert_null(st);
        if (!strstr(err.msg, c->msg))
            fail_msg("case %zu: message '%s' lacks '%s'", i, err.msg, c->msg);
        char want[64];
        snprintf(want, sizeof want, "state XML: byte %zu: ", marker(c->in, c->at));
        if (strncmp(err.msg, want, strlen(want)) != 0)
            fail_msg("case %zu: message '%s' does not start with '%s'", i, err.msg, want);
        /* strict rejects whatever lenient rejects */
        if (c->mode == LF_PARSE_LENIENT) {
            assert_int_equal(lf_state_parse(c->in, strlen(c->in), LF_PARSE_STRICT, &st, NULL, &err), -EINVAL);
            assert_null(st);
        }
    }
}

/* ---- caps ---------------------------------------------------------------- */

static char *nested(int depth, size_t *len)
{
    lf_buf b;
    lf_buf_init(&b, 0);
    lf_buf p;
    lf_buf_init(&p, 0);
    assert_int_equal(lf_buf_puts(&b, ROOT), 0);
    for (int i = 0; i < depth; i++) {
        if (p.len)
            lf_buf_putc(&p, '/');
        lf_buf_putc(&p, 'd');
        assert_int_equal(lf_buf_printf(&b, "<directory path=\"%s\" name=\"d\" mode=\"755\" " OG " " DM ">", p.data), 0);
    }
    for (int i = 0; i < depth; i++)
        assert_int_equal(lf_buf_puts(&b, "</directory>"), 0);
    assert_int_equal(lf_buf_puts(&b, END), 0);
    lf_buf_free(&p);
    return lf_buf_steal(&b, len);
}

static void test_caps(void **u)
{
    (void)u;
    size_t n;
    lf_err err = {0};
    lf_state *st = NULL;
    char *ok = nested(LF_STATE_MAX_DEPTH, &n);
    if (lf_state_parse(ok, n, LF_PARSE_STRICT, &st, NULL, &err))
        fail_msg("depth %d: %s", LF_STATE_MAX_DEPTH, err.msg);
    assert_int_equal(lf_state_count(st), LF_STATE_MAX_DEPTH + 1);
    lf_buf b;
    lf_buf_init(&b, 0);
    assert_int_equal(lf_state_serialize(st, &b), 0);
    lf_state *back = NULL;
    assert_int_equal(lf_state_parse(b.data, b.len, LF_PARSE_STRICT, &back, NULL, &err), 0);
    assert_true(lf_state_equal(st, back));
    lf_state_free(back);
    lf_buf_free(&b);
    lf_state_free(st);
    free(ok);

    char *deep = nested(LF_STATE_MAX_DEPTH + 1, &n);
    assert_int_equal(lf_state_parse(deep, n, LF_PARSE_LENIENT, &st, NULL, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "directories nested deeper than 1024"));
    free(deep);

    /* the size cap is checked before the bytes are read */
    static const char small[] = EMPTY;
    assert_int_equal(lf_state_parse(small, LF_STATE_MAX_XML + 1, LF_PARSE_LENIENT, &st, NULL, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "exceeds the cap"));
    assert_null(st);

    /* a long name */
    char name[LF_STATE_MAX_NAME + 2];
    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = 0;
    char doc[1024];
    snprintf(doc, sizeof doc, ROOT "<directory path=\"%s\" name=\"%s\" mode=\"755\" " OG " " DM "/>" END, name, name);
    assert_int_equal(lf_state_parse(doc, strlen(doc), LF_PARSE_STRICT, &st, NULL, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "name longer than 255 bytes"));
    name[LF_STATE_MAX_NAME] = 0;
    snprintf(doc, sizeof doc, ROOT "<directory path=\"%s\" name=\"%s\" mode=\"755\" " OG " " DM "/>" END, name, name);
    assert_int_equal(lf_state_parse(doc, strlen(doc), LF_PARSE_STRICT, &st, NULL, &err), 0);
    lf_state_free(st);
}

/* A big state: 40 directories of 500 files each, round trip. */
static void test_big_state(void **u)
{
    (void)u;
    lf_state *st = lf_state_new("root", "root");
    char name[32], body[300];
    for (int d = 39; d >= 0; d--) {
        snprintf(name, sizeof name, "dir%02d", d);
        lf_node *dir = add(st->root, LF_NODE_DIR, name, 0755);
        for (int f = 0; f < 500; f++) {
            snprintf(name, sizeof name, "file%03d.txt", (f * 7919) % 500);
            lf_node *n = add(dir, LF_NODE_FILE, name, 0644);
            int bl = snprintf(body, sizeof body, "line <%d> & \"%d\"\nmore text here\r\n", d, f);
            assert_int_equal(lf_node_set_data(n, body, (size_t)bl), 0);
        }
    }
    assert_int_equal(lf_state_count(st), 1 + 40 + 40 * 500);
    lf_buf b;
    lf_buf_init(&b, 0);
    assert_int_equal(lf_state_serialize(st, &b), 0);
    lf_state *back = NULL;
    lf_err err = {0};
    assert_int_equal(lf_state_parse(b.data, b.len, LF_PARSE_STRICT, &back, NULL, &err), 0);
    assert_true(lf_state_equal(st, back));
    lf_buf c;
    lf_buf_init(&c, 0);
    assert_int_equal(lf_state_serialize(back, &c), 0);
    assert_int_equal(b.len, c.len);
    assert_memory_equal(b.data, c.data, b.len);
    lf_buf_free(&b);
    lf_buf_free(&c);
    lf_state_free(back);
    lf_state_free(st);
}

/* ---- tree: lookup, clone, equal, edits ---------------------------------- */

static lf_state *sample(void)
{
    static const char doc[] = ROOT D("a", "a") ">" D("a/b", "b") " />" F("a/f", "f", "2") "<body>hi</body></file>"
                              L("a/l", "l", "b") "</directory>" F("top", "top", "0") "<body /></file>" END;
    lf_state *st = NULL;
    lf_err err = {0};
    if (lf_state_parse(doc, sizeof doc - 1, LF_PARSE_STRICT, &st, NULL, &err))
        fail_msg("%s", err.msg);
    return st;
}

static void test_lookup(void **u)
{
    (void)u;
    lf_state *st = sample();
    static const struct { const char *path; const char *name; const char *parent; } cases[] = {
        {"/", "/", NULL},        {"/a", "a", NULL},        {"/a/b", "b", NULL},    {"/a/f", "f", NULL},
        {"/a/l", "l", NULL},     {"/top", "top", NULL},    {"/x", NULL, "/"},      {"/a/x", NULL, "a"},
        {"/a/b/x", NULL, "b"},   {"/a/f/x", NULL, "f"},    {"/a/l/x", NULL, "l"},  {"/x/y", NULL, NULL},
        {"/a/x/y", NULL, NULL},  {"/a/", NULL, NULL},      {"//a", NULL, NULL},    {"/a//b", NULL, NULL},
        {"a", NULL, NULL},       {"", NULL, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lf_node *parent = (lf_node *)1;
        lf_node *n = lf_state_lookup(st, cases[i].path, &parent);
        if (cases[i].name) {
            assert_non_null(n);
            assert_string_equal(n->name, cases[i].name);
        } else {
            assert_null(n);
        }
        if (cases[i].parent) {
            assert_non_null(parent);
            assert_string_equal(parent->name, cases[i].parent);
        } else {
            assert_null(parent);
        }
        assert_true(lf_state_lookup(st, cases[i].path, NULL) == n);
    }
    lf_buf b;
    lf_buf_init(&b, 0);
    assert_int_equal(lf_node_relpath(lf_state_lookup(st, "/a/f", NULL), &b), 0);
    assert_string_equal(b.data, "a/f");
    assert_int_equal(lf_node_relpath(st->root, &b), 0);
    assert_string_equal(b.data, "/");
    assert_int_equal(lf_node_relpath(lf_state_lookup(st, "/top", NULL), &b), 0);
    assert_string_equal(b.data, "top");
    lf_buf_free(&b);
    lf_state_free(st);
}

static void test_clone_equal(void **u)
{
    (void)u;
    lf_state *a = sample();
    lf_state *b = lf_state_clone(a);
    assert_non_null(b);
    assert_true(lf_state_equal(a, b));
    assert_int_equal(lf_state_count(b), 6);
    /* deep: the copy shares nothing */
    lf_node *f = lf_state_lookup(b, "/a/f", NULL);
    assert_true(f != lf_state_lookup(a, "/a/f", NULL));
    assert_true(f->parent == lf_state_lookup(b, "/a", NULL));
    assert_int_equal(lf_node_set_data(f, "ho", 2), 0);
    assert_false(lf_state_equal(a, b));
    assert_int_equal(lf_node_set_data(f, "hi", 2), 0);
    assert_true(lf_state_equal(a, b));
    f->mode = 0600;
    assert_false(lf_state_equal(a, b));
    f->mode = 0644;
    assert_int_equal(lf_node_set_str(&f->owner, "bob"), 0);
    assert_false(lf_state_equal(a, b));
    assert_int_equal(lf_node_set_str(&f->owner, "root"), 0);
    lf_node *l = lf_state_lookup(b, "/a/l", NULL);
    assert_int_equal(lf_node_set_str(&l->target, "c"), 0);
    assert_false(lf_state_equal(a, b));
    assert_int_equal(lf_node_set_str(&l->target, "b"), 0);
    assert_true(lf_state_equal(a, b));
    lf_node *x = lf_node_new(LF_NODE_DIR, "x", 0755, "root", "root");
    assert_int_equal(lf_node_add_child(b->root, x), 0);
    assert_false(lf_state_equal(a, b));
    lf_node_detach(x);
    lf_node_free(x);
    assert_true(lf_state_equal(a, b));
    assert_false(lf_state_equal(a, NULL));
    assert_true(lf_state_equal(NULL, NULL));
    lf_state_free(a);
    lf_state_free(b);
    lf_state_free(NULL);
}

static void test_edits_keep_order(void **u)
{
    (void)u;
    lf_state *st = lf_state_new("root", "root");
    /* insert 200 names in a scrambled order; children stay sorted */
    char name[16];
    for (int i = 0; i < 200; i++) {
        snprintf(name, sizeof name, "n%03d", (i * 37) % 200);
        add(st->root, i % 2 ? LF_NODE_FILE : LF_NODE_DIR, name, 0644);
    }
    assert_int_equal(st->root->nkids, 200);
    for (size_t i = 1; i < st->root->nkids; i++)
        assert_true(strcmp(st->root->kids[i - 1]->name, st->root->kids[i]->name) < 0);
    lf_node *dup = lf_node_new(LF_NODE_FILE, "n100", 0644, "root", "root");
    assert_int_equal(lf_node_add_child(st->root, dup), -EEXIST);
    assert_int_equal(lf_node_add_child(lf_state_lookup(st, "/n001", NULL), dup), -EINVAL);  /* a file */
    lf_node_free(dup);
    /* detach from the middle, then move under another directory (a rename) */
    lf_node *n = lf_node_find_child(st->root, "n150");
    assert_non_null(n);
    lf_node_detach(n);
    assert_null(n->parent);
    assert_null(lf_node_find_child(st->root, "n150"));
    assert_int_equal(st->root->nkids, 199);
    lf_node *d = lf_state_lookup(st, "/n000", NULL);
    assert_int_equal(lf_node_set_str(&n->name, "moved"), 0);
    assert_int_equal(lf_node_add_child(d, n), 0);
    assert_true(lf_state_lookup(st, "/n000/moved", NULL) == n);
    for (size_t i = 1; i < st->root->nkids; i++)
        assert_true(strcmp(st->root->kids[i - 1]->name, st->root->kids[i]->name) < 0);
    lf_node_detach(NULL);
    lf_node_detach(st->root);   /* no parent: a no-op */
    lf_node_free(NULL);
    assert_int_equal(lf_node_set_data(n, NULL, 0), 0);
    assert_null(n->data);
    lf_state_free(st);
}

/* ---- snapshot ------------------------------------------------------------ */

static void put_file(const char *dir, const char *name, const void *data, size_t n, mode_t mode)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, n), (ssize_t)n);
    close(fd);
    assert_int_equal(chmod(path, mode), 0);
}

static void test_snapshot(void **u)
{
    (void)u;
    char dir[] = "/tmp/lf_state_snapXXXXXX";
    assert_non_null(mkdtemp(dir));
    char p[512];
    put_file(dir, "b.txt", "x & <y>\r\n", 9, 0640);
    put_file(dir, "bin", "\x00\xFF", 2, 0600);
    put_file(dir, "empty", "", 0, 0644);
    snprintf(p, sizeof p, "%s/sub", dir);
    assert_int_equal(mkdir(p, 0750), 0);
    assert_int_equal(chmod(p, 02750), 0);
    put_file(p, "z", "z", 1, 0444);
    snprintf(p, sizeof p, "%s/sub/link", dir);
    assert_int_equal(symlink("../b.txt", p), 0);
    snprintf(p, sizeof p, "%s/fifo", dir);
    assert_int_equal(mkfifo(p, 0644), 0);
    snprintf(p, sizeof p, "%s/bad\x01name", dir);
    put_file(dir, "bad\x01name", "", 0, 0644);
    assert_int_equal(chmod(dir, 0755), 0);

    lf_state *st = NULL;
    lf_err err = {0};
    int skipped = -1;
    assert_int_equal(lf_state_snapshot_ex(dir, LF_SNAPSHOT_PROTOCOL_IDS, &st, &skipped, &err), 0);
    assert_int_equal(skipped, 2);   /* the FIFO and the unrepresentable name */
    char owner[64], group[64], want[4096];
    lf_state_user_name((unsigned)getuid(), owner, sizeof owner);
    lf_state_group_name((unsigned)getgid(), group, sizeof group);
    /* entries owned by the caller carry the root's names (PROTOCOL_IDS) */
#define E "owner=\"%s\" group=\"%s\""
    snprintf(want, sizeof want,
             "<filesystem><directory path=\"/\" name=\"/\" mode=\"755\" " E " " DM ">"
             "<file path=\"b.txt\" name=\"b.txt\" mode=\"640\" " E " " FM " size=\"9\"><body>x &amp; &lt;y&gt;&#13;\n</body></file>"
             "<file path=\"bin\" name=\"bin\" mode=\"600\" " E " " FM " size=\"2\"><body encoding=\"base64\">AP8=</body></file>"
             "<file path=\"empty\" name=\"empty\" mode=\"644\" " E " " FM " size=\"0\"><body /></file>"
             "<directory path=\"sub\" name=\"sub\" mode=\"2750\" " E " " DM ">"
             "<symlink path=\"sub/link\" name=\"link\" mode=\"777\" " E " " DM " target=\"../b.txt\" />"
             "<file path=\"sub/z\" name=\"z\" mode=\"444\" " E " " FM " size=\"1\"><body>z</body></file>"
             "</directory></directory></filesystem>",
             owner, group, owner, group, owner, group, owner, group, owner, group, owner, group, owner, group);
#undef E
    lf_buf b;
    lf_buf_init(&b, 0);
    assert_int_equal(lf_state_serialize(st, &b), 0);
    assert_string_equal(b.data, want);
    lf_state_free(st);

    /* the plain form agrees here (every entry is the caller's) */
    assert_int_equal(lf_state_snapshot(dir, &st, &err), 0);
    lf_buf_reset(&b);
    assert_int_equal(lf_state_serialize(st, &b), 0);
    assert_string_equal(b.data, want);
    lf_state_free(st);
    lf_buf_free(&b);

    assert_int_equal(lf_state_snapshot("/nonexistent/lf", &st, &err), -ENOENT);
    assert_null(st);
    assert_non_null(strstr(err.msg, "/nonexistent/lf"));
    snprintf(p, sizeof p, "%s/empty", dir);
    assert_int_equal(lf_state_snapshot(p, &st, &err), -ENOTDIR);

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_serialize_empty),
        cmocka_unit_test(test_serialize_escaping),
        cmocka_unit_test(test_serialize_order),
        cmocka_unit_test(test_serialize_bodies),
        cmocka_unit_test(test_serialize_nested_symlink_modes),
        cmocka_unit_test(test_serialize_unrepresentable),
        cmocka_unit_test(test_serialize_cap),
        cmocka_unit_test(test_parse_accepts),
        cmocka_unit_test(test_parse_references),
        cmocka_unit_test(test_parse_rejects),
        cmocka_unit_test(test_caps),
        cmocka_unit_test(test_big_state),
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_clone_equal),
        cmocka_unit_test(test_edits_keep_order),
        cmocka_unit_test(test_snapshot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
