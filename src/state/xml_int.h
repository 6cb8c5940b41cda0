/* xml_int.h: helpers shared by the state parser and serialiser (private to
 * src/state/). */
#ifndef LF_STATE_XML_INT_H
#define LF_STATE_XML_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* True if the 8 bytes at p are all printable ASCII (0x20-0x7E): no byte
 * >= 0x80, none < 0x20, none == 0x7F. Word-at-a-time "has a byte below /
 * equal to" tests; lets the byte scans skip plain text 8 bytes at a time. */
static inline bool lf_xml_plain8(const unsigned char *p)
{
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    uint64_t w, d;
    memcpy(&w, p, 8);
    d = w ^ (0x7F * ones);
    return ((w & high) | ((w - 0x20 * ones) & ~w & high) | ((d - ones) & ~d & high)) == 0;
}

#endif
