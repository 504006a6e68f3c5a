// The error types every layer throws, and the helper that prefixes a message with its context.
#pragma once

#include <stdexcept>
#include <string>

namespace tsu {

// Thrown for any invalid model, file or argument; `what()` names the file, field or line.
struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// An Error that is about the system rather than the input: a file that cannot be opened, read or
// written (the message names the path and the system's reason). Python raises it as OSError.
struct IoError : Error {
  using Error::Error;
};

// Thrown when the caller asked a long call to stop (Ctrl-C in the CLI, KeyboardInterrupt in Python).
struct Interrupted : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Runs `body`, prefixing the message of any Error it throws with `context` (a file or option name);
// an IoError stays one.
template <class Body>
auto with_context(const std::string& context, Body body) {
  try {
    return body();
  } catch (const IoError& e) {
    throw IoError(context + ": " + e.what());
  } catch (const Error& e) {
    throw Error(context + ": " + e.what());
  }
}

}  // namespace tsu
