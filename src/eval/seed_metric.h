/* seed_metric.h: the original llmfuse's evaluation metrics, reproduced
 * exactly (seed-reference §7; its eval/postprocess.py and eval/metrics.py),
 * for comparison only.
 *
 * The original post-processed every prediction with the expected answer in
 * hand (sanitize_by_expected: it clamps a prediction to the expectation when
 * the expectation is a prefix or substring of it, accepts any permutation of
 * the expected readdir array, forces an empty prediction when the expected
 * one is empty), then called a row "correct" when the Jaccard similarity of
 * the two texts' *character sets* exceeded 0.7. `llmfuse eval` reports these
 * numbers beside its own exact match, labelled as the original's, so the two
 * can be compared on the same answers (seed-reference §11 items 13-14).
 *
 * Texts are Python str: UTF-8 is decoded to code points (an invalid byte
 * becomes U+FFFD, as a lenient decoder would); str.strip()/split() use
 * Python's whitespace set; re.IGNORECASE follows sre's simple case folds
 * (i/ı/İ, k/K, s/ſ); str.lower() is Python's for ASCII, Latin-1, Latin
 * Extended-A, Greek, Cyrillic, Armenian, Latin Extended Additional and the
 * fullwidth forms (identity elsewhere: only rarer scripts' character sets
 * could differ). A candidate readdir array holding a JSON array or object
 * made the original's Counter() raise TypeError; here it simply does not
 * match. All functions are pure and thread-safe.
 */
#ifndef LF_EVAL_SEED_METRIC_H
#define LF_EVAL_SEED_METRIC_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

/* sanitize_by_expected(predicted, expected): appends the sanitised
 * prediction (UTF-8) to out. Returns 0 or -ENOMEM / -E2BIG. */
int lf_seedm_sanitize(const char *pred, size_t plen, const char *exp, size_t elen,
                      lf_buf *out);

/* The expectation the original scored against: strip_state_stop_token(expected)
 * when it looks like a state (starts with "<filesystem" or "/"), else
 * expected unchanged. Appends to out. */
int lf_seedm_expected_for_metrics(const char *exp, size_t elen, lf_buf *out);

/* exact_match: equality after str.strip() of both. */
bool lf_seedm_exact(const char *a, size_t na, const char *b, size_t nb);

/* simple_similarity: 1.0 for both empty or equal after strip or after
 * whitespace collapsing; 0.0 when exactly one is empty; else the Jaccard
 * similarity of the sets of characters of the lower-cased,
 * whitespace-collapsed texts. Returns -1.0 on ENOMEM. */
double lf_seedm_similarity(const char *a, size_t na, const char *b, size_t nb);

/* One row as the original scored it. */
typedef struct lf_seedm_result {
    char *predicted;       /* sanitised prediction (owned; NUL-terminated) */
    size_t predicted_len;
    double similarity;     /* simple_similarity(predicted, expected_for_metrics) */
    bool correct;          /* similarity > 0.7: the original's "accuracy" */
    bool exact;            /* exact_match after sanitising: its "exact_accuracy" */
} lf_seedm_result;

/* Scores a raw answer against the row's expected completion the way the
 * original's vLLM path did. r is filled (free with lf_seedm_result_free).
 * Returns 0 or -ENOMEM. */
int lf_seedm_score(const char *raw, size_t rlen, const char *expected, size_t elen,
                   lf_seedm_result *r);
void lf_seedm_result_free(lf_seedm_result *r);

#endif
