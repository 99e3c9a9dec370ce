// /metrics counts requests by route pattern, never by raw path: every route the API serves has a
// label of its own, and a path with a value in it is labelled by its pattern.

#include <gtest/gtest.h>

#include "sw/coordinator/api/access_policy.h"
#include "sw/coordinator/api/http_api.h"

using sw::coordinator::apiRoutes;
using sw::coordinator::httpRouteLabel;

TEST(HttpRouteLabel, EveryRouteHasALabelAndValuesInPathsAreNotLabels) {
  for (const auto& r : apiRoutes()) EXPECT_NE(httpRouteLabel(r.path), "other") << r.method << ' ' << r.path;
  EXPECT_EQ(httpRouteLabel("/v1/kpis/history"), "/v1/kpis/history");
  EXPECT_EQ(httpRouteLabel("/v1/orders/shopify/5551234"), "/v1/orders/{channel}/{id}");
  EXPECT_EQ(httpRouteLabel("/v1/catalog/0950110153000"), "/v1/catalog/{code}");
  EXPECT_EQ(httpRouteLabel("/v1/channels/dead-letters/17/replay"), "/v1/channels/dead-letters/{id}/replay");
  EXPECT_EQ(httpRouteLabel("/v1/channels/ebay/reconcile"), "/v1/channels/{channel}/reconcile");
  EXPECT_EQ(httpRouteLabel("/v1/fulfilments/3/retry"), "/v1/fulfilments/{id}/retry");
  // Anything else (a scanner of URLs, a typo) is one label, however many paths it tries.
  EXPECT_EQ(httpRouteLabel("/wp-admin/setup.php"), "other");
  EXPECT_EQ(httpRouteLabel("/v1/orders/shopify/1/extra"), "other");
  EXPECT_EQ(httpRouteLabel("/v1/stock/../../etc/passwd"), "other");
}
