# Writes a man page (roff) from one of our Markdown pages in docs/ with go-md2man:
#   cmake -DGO_MD2MAN=... -DIN=docs/pxdump.md -DOUT=build/man/pxdump.1 -P cmake/md2man.cmake
# Our pages start with "# NAME(SECTION)"; go-md2man takes the title line as "# NAME SECTION".
# Two-column tables (option | meaning) become definition lists, which man renders as tagged
# paragraphs that wrap; tbl's tables do not fit a terminal.
file(READ ${IN} _md)
string(REGEX REPLACE "^# ([A-Za-z0-9_.-]+)\\(([0-9])\\)" "# \\1 \\2" _md "${_md}")
string(REPLACE "\\|" "@PCAPXX_PIPE@" _md "${_md}")
string(REGEX REPLACE "\n\\|[^\n]*\\|\n\\|[-:| ]+\\|\n" "\n" _md "${_md}")
string(REGEX REPLACE "\n\\| ([^|\n]*) \\| ([^|\n]*) \\|" "\n\n\\1\n: \\2\n" _md "${_md}")
string(REPLACE "@PCAPXX_PIPE@" "|" _md "${_md}")
set(_tmp ${OUT}.md)
file(WRITE ${_tmp} "${_md}")
execute_process(COMMAND ${GO_MD2MAN} -in ${_tmp} -out ${OUT} RESULT_VARIABLE _rc ERROR_VARIABLE _err)
file(REMOVE ${_tmp})
if(NOT _rc EQUAL 0)
  message(FATAL_ERROR "go-md2man failed on ${IN}: ${_err}")
endif()
