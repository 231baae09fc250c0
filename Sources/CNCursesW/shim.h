#ifndef BREAKGLASS_CNCURSESW_SHIM_H
#define BREAKGLASS_CNCURSESW_SHIM_H
// ncursesw for Swift. SwiftPM drops pkg-config's -D flags for system libraries, so the wide-character
// API is switched on here, before the header. Macros and global variables that Swift cannot import
// (or cannot touch under strict concurrency) are wrapped as typed inline functions, prefixed bg_.
#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#include <locale.h>
#include <langinfo.h>
#include <wchar.h>
#include <curses.h>

static inline WINDOW *bg_stdscr(void) { return stdscr; }
static inline int bg_lines(void) { return LINES; }
static inline int bg_cols(void) { return COLS; }
static inline int bg_colors(void) { return COLORS; }
static inline int bg_color_pairs(void) { return COLOR_PAIRS; }
static inline void bg_set_escdelay(int ms) { set_escdelay(ms); }

static inline attr_t bg_a_normal(void) { return A_NORMAL; }
static inline attr_t bg_a_bold(void) { return A_BOLD; }
static inline attr_t bg_a_reverse(void) { return A_REVERSE; }
static inline attr_t bg_a_underline(void) { return A_UNDERLINE; }
static inline attr_t bg_a_dim(void) { return A_DIM; }

static inline int bg_key_resize(void) { return KEY_RESIZE; }
static inline int bg_key_up(void) { return KEY_UP; }
static inline int bg_key_down(void) { return KEY_DOWN; }
static inline int bg_key_left(void) { return KEY_LEFT; }
static inline int bg_key_right(void) { return KEY_RIGHT; }
static inline int bg_key_npage(void) { return KEY_NPAGE; }
static inline int bg_key_ppage(void) { return KEY_PPAGE; }
static inline int bg_key_home(void) { return KEY_HOME; }
static inline int bg_key_end(void) { return KEY_END; }
static inline int bg_key_enter(void) { return KEY_ENTER; }
static inline int bg_key_backspace(void) { return KEY_BACKSPACE; }
static inline int bg_key_btab(void) { return KEY_BTAB; }
static inline int bg_key_dc(void) { return KEY_DC; }
static inline int bg_key_f(int n) { return KEY_F(n); }

/// Sets the attributes and colour pair used by the next writes to `win` (wattr_set is a macro).
static inline int bg_wattr_set(WINDOW *win, attr_t attrs, short pair) {
    return wattr_set(win, attrs, pair, NULL);
}

/// The codeset of the current locale ("UTF-8" when wide characters will draw correctly).
static inline const char *bg_codeset(void) { return nl_langinfo(CODESET); }

/// ACS line-drawing characters are entries of a global table, exposed as macros.
static inline chtype bg_acs_hline(void) { return ACS_HLINE; }
static inline chtype bg_acs_vline(void) { return ACS_VLINE; }

// Added for the terminal backend (NCursesBackend.swift).
#include <stdio.h>
#include <sys/ioctl.h>

/// newterm on the process's own stdout/stdin. Unlike initscr, it returns NULL for an unknown
/// terminal type instead of exiting, and Swift 6 cannot touch the stdio globals itself.
static inline SCREEN *bg_newterm(const char *type) { return newterm(type, stdout, stdin); }

/// The terminal's size as the kernel knows it (after SIGWINCH). Returns 0 and sets rows/cols, or -1.
static inline int bg_winsize(int fd, int *rows, int *cols) {
    struct winsize ws;
    if (ioctl(fd, TIOCGWINSZ, &ws) != 0 || ws.ws_row == 0 || ws.ws_col == 0) return -1;
    *rows = ws.ws_row;
    *cols = ws.ws_col;
    return 0;
}

static inline int bg_key_code_yes(void) { return KEY_CODE_YES; }


/// Makes the next refresh clear and repaint the whole screen (curscr is a global Swift 6 cannot read).
static inline int bg_clearok_curscr(void) { return clearok(curscr, TRUE); }

#endif
