#include <fmt/format.h>
int main() { fmt::print("pxdump\n"); return 0; }
