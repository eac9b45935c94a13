#include "cql/fake_server.hpp"

#include <cstring>
#include <list>
#include <thread>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "cql/wire.hpp"

namespace squall::cql::testing {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

struct Peer : std::enable_shared_from_this<Peer> {
  Peer(tcp::socket s, int n, const Responder& r, asio::ssl::context* tls_context) : number(n), responder(r) {
    if (tls_context) {
      tls.emplace(std::move(s), *tls_context);
    } else {
      plain.emplace(std::move(s));
    }
  }

  std::optional<tcp::socket> plain;
  std::optional<asio::ssl::stream<tcp::socket>> tls;
  int number;
  const Responder& responder;
  std::string in;
  std::string out;
  bool writing = false;
  bool closing = false;
  char chunk[16 * 1024];

  tcp::socket& socket() { return tls ? tls->next_layer() : *plain; }

  template <class Operation>
  void with_stream(Operation&& operation) {
    if (tls) {
      operation(*tls);
    } else {
      operation(*plain);
    }
  }

  void start() {
    if (!tls) return read();
    tls->async_handshake(asio::ssl::stream_base::server, [self = shared_from_this()](error_code ec) {
      if (!ec) self->read();
    });
  }

  void read() {
    with_stream([&](auto& stream) {
      stream.async_read_some(asio::buffer(chunk), [self = shared_from_this()](error_code ec, std::size_t count) {
        if (ec) return;
        self->in.append(self->chunk, count);
        self->serve();
      });
    });
  }

  void serve() {
    FrameLimits limits;
    limits.expected_version = kRequestVersion;
    while (!closing) {
      auto decoded = decode_frame(in, limits);
      if (!decoded || !decoded->frame) break;
      const Reply reply = responder(*decoded->frame, number);
      in.erase(0, decoded->size);
      for (const auto& frame : reply.frames) out += frame;
      if (reply.close_connection) closing = true;
    }
    write();
    if (!closing) read();
  }

  void write() {
    if (writing) return;
    if (out.empty()) {
      if (closing) shut();
      return;
    }
    writing = true;
    auto buffer = std::make_shared<std::string>(std::move(out));
    out.clear();
    with_stream([&](auto& stream) {
      asio::async_write(stream, asio::buffer(*buffer), [self = shared_from_this(), buffer](error_code ec, std::size_t) {
        self->writing = false;
        if (ec) return;
        self->write();
      });
    });
  }

  void shut() {
    error_code ignored;
    socket().shutdown(tcp::socket::shutdown_both, ignored);
    socket().close(ignored);
  }
};

}  // namespace

struct FakeServer::Impl {
  Impl(Responder r, std::atomic<int>& accepted_count, const std::optional<TestCertificate>& certificate)
      : responder(std::move(r)), accepted(accepted_count), acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    if (certificate) {
      tls.emplace(asio::ssl::context::tls_server);
      tls->use_certificate_chain(asio::buffer(certificate->certificate_pem));
      tls->use_private_key(asio::buffer(certificate->private_key_pem), asio::ssl::context::pem);
    }
    accept();
    thread = std::thread([this] { io.run(); });
  }

  ~Impl() {
    asio::post(io, [this] {
      error_code ignored;
      acceptor.close(ignored);
      for (auto& weak : peers) {
        if (auto peer = weak.lock()) peer->shut();
      }
    });
    thread.join();
  }

  void accept() {
    acceptor.async_accept([this](error_code ec, tcp::socket socket) {
      if (ec) return;
      auto peer = std::make_shared<Peer>(std::move(socket), accepted++, responder, tls ? &*tls : nullptr);
      peers.push_back(peer);
      peer->start();
      accept();
    });
  }

  Responder responder;
  std::atomic<int>& accepted;
  std::optional<asio::ssl::context> tls;
  asio::io_context io;
  tcp::acceptor acceptor;
  std::list<std::weak_ptr<Peer>> peers;
  std::thread thread;
};

FakeServer::FakeServer(Responder responder, std::optional<TestCertificate> tls)
    : impl_(std::make_unique<Impl>(std::move(responder), accepted_, tls)) {}

FakeServer::~FakeServer() = default;

std::string FakeServer::contact_point() const {
  return "127.0.0.1:" + std::to_string(impl_->acceptor.local_endpoint().port());
}

std::string closed_contact_point() {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return "127.0.0.1:" + std::to_string(acceptor.local_endpoint().port());
}

namespace {

std::string drain(BIO* bio) {
  std::string out(BIO_ctrl_pending(bio), '\0');
  BIO_read(bio, out.data(), static_cast<int>(out.size()));
  return out;
}

void add_extension(X509* certificate, int nid, const char* value) {
  X509V3_CTX context;
  X509V3_set_ctx(&context, certificate, certificate, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value);
  X509_add_ext(certificate, extension, -1);
  X509_EXTENSION_free(extension);
}

}  // namespace

TestCertificate make_test_certificate() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  X509* certificate = X509_new();
  X509_set_version(certificate, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(certificate), 1);
  X509_gmtime_adj(X509_getm_notBefore(certificate), -3600);
  X509_gmtime_adj(X509_getm_notAfter(certificate), 24 * 3600);
  X509_set_pubkey(certificate, key);
  X509_NAME* name = X509_get_subject_name(certificate);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("squall test"), -1, -1,
                             0);
  X509_set_issuer_name(certificate, name);
  add_extension(certificate, NID_basic_constraints, "CA:TRUE");
  add_extension(certificate, NID_subject_alt_name, "IP:127.0.0.1");
  X509_sign(certificate, key, EVP_sha256());

  TestCertificate out;
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, certificate);
  out.certificate_pem = drain(bio);
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  out.private_key_pem = drain(bio);
  BIO_free(bio);
  X509_free(certificate);
  EVP_PKEY_free(key);
  return out;
}

// ---- reading requests

std::string request_query(const Frame& request) {
  WireReader reader(request.body);
  return std::string(reader.long_string("query").value());
}

std::string request_prepared_id(const Frame& request) {
  WireReader reader(request.body);
  return std::string(reader.short_bytes("id").value());
}

std::optional<std::string> request_paging_state(const Frame& request) {
  WireReader reader(request.body);
  if (request.header.opcode == Opcode::query) {
    (void)reader.long_string("query").value();
  } else {
    (void)reader.short_bytes("id").value();
  }
  (void)reader.consistency("consistency").value();
  const std::uint8_t flags = reader.byte("flags").value();
  if (flags & 0x01) {
    const std::uint16_t count = reader.u16("values").value();
    for (std::uint16_t i = 0; i < count; ++i) (void)reader.bytes("value").value();
  }
  if (flags & 0x04) (void)reader.i32("page size").value();
  if (!(flags & 0x08)) return std::nullopt;
  return std::string(reader.bytes("paging state").value().value());
}

// ---- writing responses

std::string reply_frame(const Frame& request, Opcode opcode, const std::string& body, std::uint8_t flags) {
  std::string out;
  FrameHeader header;
  header.version = kResponseVersion;
  header.flags = flags;
  header.stream = request.header.stream;
  header.opcode = opcode;
  (void)encode_frame(header, body, out);
  return out;
}

std::optional<Reply> handshake(const Frame& request) {
  if (request.header.opcode == Opcode::startup) return Reply{{reply_frame(request, Opcode::ready)}};
  if (request.header.opcode == Opcode::options) {
    std::string body;
    WireWriter(body).string_multimap({{"CQL_VERSION", {"3.4.7"}}}, "supported");
    return Reply{{reply_frame(request, Opcode::supported, body)}};
  }
  return std::nullopt;
}

std::string void_body() {
  std::string body;
  WireWriter(body).i32(1);
  return body;
}

std::string text_rows_body(const std::vector<std::string>& values, const std::optional<std::string>& paging_state) {
  std::string body;
  WireWriter writer(body);
  writer.i32(2);                               // Rows
  writer.i32(0x0001 | (paging_state ? 0x0002 : 0));  // global table spec, maybe more pages
  writer.i32(1);                               // one column
  if (paging_state) writer.bytes(*paging_state, "paging state");
  writer.string("ks", "keyspace");
  writer.string("t", "table");
  writer.string("v", "column");
  writer.u16(0x000D);  // varchar
  writer.i32(static_cast<std::int32_t>(values.size()));
  for (const auto& value : values) writer.bytes(value, "cell");
  return body;
}

std::string prepared_body(const std::string& id, const std::vector<std::pair<std::string, std::uint16_t>>& markers) {
  std::string body;
  WireWriter writer(body);
  writer.i32(4);  // Prepared
  writer.short_bytes(id, "id");
  writer.i32(0x0001);  // global table spec
  writer.i32(static_cast<std::int32_t>(markers.size()));
  writer.i32(0);  // no partition key indexes
  writer.string("ks", "keyspace");
  writer.string("t", "table");
  for (const auto& [name, type] : markers) {
    writer.string(name, "marker");
    writer.u16(type);
  }
  writer.i32(0x0004);  // result metadata: none
  writer.i32(0);
  return body;
}

std::string error_body(ErrorCode code, const std::string& message, const std::string& extra) {
  std::string body;
  WireWriter writer(body);
  writer.i32(static_cast<std::int32_t>(code));
  writer.string(message, "message");
  return body + extra;
}

}  // namespace squall::cql::testing
