// ENVIRONMENT Trap 1: TorchSharp 0.107's libLibTorchSharp.so was built with GCC 13, whose <iostream> static
// initialiser calls std::ios_base_library_init() (GLIBCXX_3.4.32). Older libstdc++ (Debian 12, Ubuntu 22.04) lacks
// it; this shim supplies the one missing symbol. Its body does what GCC 13's does: construct the stream objects.
#include <ios>

namespace std {
void ios_base_library_init() {
    static ios_base::Init init;
}
}  // namespace std
