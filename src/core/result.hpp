#pragma once
// Result<T>: the value-or-error type every module boundary returns.
//
// Exceptions are kept for truly exceptional failures (out of memory, broken
// invariants); anything a caller can reasonably react to (bad input, an
// unreachable server, a full disk) travels as an Error inside a Result.

#include <string>
#include <utility>
#include <variant>

namespace squall {

enum class Errc {
  invalid_argument,  // the caller passed something unusable (bad config, bad flag)
  parse,             // input bytes are not what they should be
  not_found,         // the thing asked for does not exist
  io,                // local file or database failure
  unavailable,       // a remote service could not be reached or refused
  timeout,           // an operation ran out of time
  auth,              // credentials were refused
  tls,               // the peer's certificate was not accepted (untrusted, or for another name)
  refused,           // a server understood a request and refused it (its schema, its limits)
  internal,          // a bug: an invariant did not hold
};

struct Error {
  Errc code;
  std::string message;
};

inline Error make_error(Errc code, std::string message) { return Error{code, std::move(message)}; }

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit by design

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_{Errc::internal, {}};
  bool ok_ = true;
};

#define SQUALL_CONCAT_INNER_(a, b) a##b
#define SQUALL_CONCAT_(a, b) SQUALL_CONCAT_INNER_(a, b)

// Returns early from the enclosing function with the error of a failed Result.
#define SQUALL_TRY(expr) SQUALL_TRY_IMPL_(SQUALL_CONCAT_(squall_try_, __COUNTER__), expr)
#define SQUALL_TRY_IMPL_(name, expr)     \
  do {                                   \
    auto name = (expr);                  \
    if (!name) return name.error();      \
  } while (false)

// Assigns the value of a successful Result to `target`, or returns its error
// from the enclosing function.
#define SQUALL_ASSIGN(target, expr) SQUALL_ASSIGN_IMPL_(SQUALL_CONCAT_(squall_assign_, __COUNTER__), target, expr)
#define SQUALL_ASSIGN_IMPL_(name, target, expr) \
  do {                                          \
    auto name = (expr);                         \
    if (!name) return name.error();             \
    target = std::move(name).value();           \
  } while (false)

}  // namespace squall
