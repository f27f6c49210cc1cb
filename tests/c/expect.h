/* The check macro of the C++ test programs: counts passes and failures and
 * reports each failure with its file and line. Include it inside the
 * program's anonymous namespace; print g_pass / g_fail at the end. */
#ifndef IMSDK_TESTS_EXPECT_H_
#define IMSDK_TESTS_EXPECT_H_

#include <cstdio>
#include <string>

int g_pass = 0;
int g_fail = 0;

#define EXPECT(cond, what)                                                          \
    do {                                                                            \
        if (cond) {                                                                 \
            ++g_pass;                                                               \
        } else {                                                                    \
            ++g_fail;                                                               \
            std::fprintf(stderr, "FAIL %s:%d: %s (%s)\n", __FILE__, __LINE__,       \
                         std::string(what).c_str(), #cond);                         \
        }                                                                           \
    } while (0)

#endif /* IMSDK_TESTS_EXPECT_H_ */
