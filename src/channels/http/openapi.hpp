// The OpenAPI 3.1 description of every HTTP endpoint (docs/openapi.json, embedded at build time).
#pragma once
#include <string_view>

namespace md::http {
std::string_view openapi_document();
}
