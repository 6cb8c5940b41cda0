/* tok_bytes.c: GPT-2's byte-to-unicode alphabet (see tok_int.h). */
#include "lm/tok_int.h"

#include <errno.h>
#include <pthread.h>

static int self_mapped(unsigned b)
{
    return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
}

/* Tables built once (pthread_once). */
static uint16_t byte_to_cp[256];
static int16_t cp_to_byte[0x144];   /* -1: not in the alphabet */
static pthread_once_t tab_once = PTHREAD_ONCE_INIT;

static void build_tab(void)
{
    uint32_t k = 0;
    for (unsigned c = 0; c < 0x144; c++)
        cp_to_byte[c] = -1;
    for (unsigned b = 0; b < 256; b++) {
        uint32_t cp = self_mapped(b) ? b : 0x100 + k++;
        byte_to_cp[b] = (uint16_t)cp;
        cp_to_byte[cp] = (int16_t)b;
    }
}

uint32_t lf_bytelevel_cp(uint8_t b)
{
    pthread_once(&tab_once, build_tab);
    return byte_to_cp[b];
}

int lf_bytelevel_encode(const void *p, size_t n, lf_buf *out)
{
    const uint8_t *s = p;
    for (size_t i = 0; i < n; i++) {
        uint32_t cp = lf_bytelevel_cp(s[i]);
        char u[2];
        int rc;
        if (cp < 0x80) {
            rc = lf_buf_putc(out, (char)cp);
        } else {
            u[0] = (char)(0xC0 | (cp >> 6));
            u[1] = (char)(0x80 | (cp & 0x3F));
            rc = lf_buf_append(out, u, 2);
        }
        if (rc)
            return rc;
    }
    return lf_buf_append(out, "", 0);
}

int lf_bytelevel_decode(const char *s, size_t n, lf_buf *out)
{
    pthread_once(&tab_once, build_tab);
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        if (u[i] < 0x80) {
            cp = u[i++];
        } else if ((u[i] & 0xE0) == 0xC0 && i + 1 < n && (u[i + 1] & 0xC0) == 0x80) {
            cp = ((uint32_t)(u[i] & 0x1F) << 6) | (u[i + 1] & 0x3F);
            i += 2;
        } else {
            return -EINVAL;
        }
        if (cp >= 0x144 || cp_to_byte[cp] < 0)
            return -EINVAL;
        int rc = lf_buf_putc(out, (char)cp_to_byte[cp]);
        if (rc)
            return rc;
    }
    return lf_buf_append(out, "", 0);
}
