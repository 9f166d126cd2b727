// libtorch's exception messages end in a long C++ backtrace; users need the first lines.
#pragma once

#include <exception>
#include <string>

namespace augur::learn {

// What went wrong, without libtorch's backtrace: one line, at most 300 characters.
std::string TorchErrorText(const std::exception& e);

}  // namespace augur::learn
