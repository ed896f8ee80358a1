using Amazon.CDK;
using Amazon.CDK.AWS.Apigatewayv2;
using Amazon.CDK.AWS.CloudFront;
using Amazon.CDK.AWS.CloudFront.Origins;
using Distribution = Amazon.CDK.AWS.CloudFront.Distribution;

namespace ImagePipeline.Infra;

/// <summary>
/// The web page and the API on one origin: a CloudFront distribution whose only origin is the HTTP API. <c>/v1/*</c> is
/// the API (never cached, every method, every viewer header but Host); everything else is the page, which the api function
/// serves from its package (src/ImagePipeline.Http/StaticPage.cs) with <c>Cache-Control: no-cache</c> and ETags. No bucket,
/// no copy step and no helper function: the page ships, and is versioned, with the function code.
/// </summary>
internal sealed class WebDistribution
{
    /// <summary>The path pattern of the API's behaviour.</summary>
    public const string ApiPathPattern = "/v1/*";

    /// <param name="scope">The stack's parts.</param>
    /// <param name="api">The HTTP API, the distribution's one origin.</param>
    /// <param name="signInSources">
    /// With sign-in, the issuer's endpoints the page talks to (<see cref="PipelineSignIn.ContentSecuritySources"/>); empty
    /// for an anonymous deployment.
    /// </param>
    public WebDistribution(StackScope scope, HttpApi api, IReadOnlyList<string> signInSources)
    {
        ContentSecurityPolicy = ContentSecurityPolicyFor(S3Sources, signInSources);
        var headers = new ResponseHeadersPolicy(scope.Stack, "WebHeaders", new ResponseHeadersPolicyProps
        {
            Comment = "ImagePipeline web page and API security headers.",
            SecurityHeadersBehavior = new ResponseSecurityHeadersBehavior
            {
                ContentSecurityPolicy = new ResponseHeadersContentSecurityPolicy { ContentSecurityPolicy = ContentSecurityPolicy, Override = true },
                ContentTypeOptions = new ResponseHeadersContentTypeOptions { Override = true },
                FrameOptions = new ResponseHeadersFrameOptions { FrameOption = HeadersFrameOption.DENY, Override = true },
                ReferrerPolicy = new ResponseHeadersReferrerPolicy { ReferrerPolicy = HeadersReferrerPolicy.NO_REFERRER, Override = true },
                StrictTransportSecurity = new ResponseHeadersStrictTransportSecurity
                {
                    AccessControlMaxAge = Duration.Days(365),
                    IncludeSubdomains = true,
                    Override = true,
                },
            },
        });

        // The page's ES modules have unhashed names and there is no build step: the function sends no-cache with an ETag,
        // so browsers revalidate every file on every load (a 304 when unchanged). The edge follows the origin's
        // Cache-Control (minimum TTL 0: no-cache is not stored) and compresses what it forwards.
        var pageCache = new CachePolicy(scope.Stack, "WebPageCache", new CachePolicyProps
        {
            Comment = "ImagePipeline page: the origin's Cache-Control decides (no-cache); compressed.",
            MinTtl = Duration.Seconds(0),
            DefaultTtl = Duration.Seconds(0),
            MaxTtl = Duration.Days(1),
            EnableAcceptEncodingGzip = true,
            EnableAcceptEncodingBrotli = true,
            HeaderBehavior = CacheHeaderBehavior.None(),
            CookieBehavior = CacheCookieBehavior.None(),
            QueryStringBehavior = CacheQueryStringBehavior.None(),
        });

        // API Gateway answers only to its own Host: every viewer header but Host reaches the function (If-None-Match
        // included, so the page's revalidations end in 304s at the function).
        var origin = new HttpOrigin($"{api.ApiId}.execute-api.{Aws.REGION}.{Aws.URL_SUFFIX}", new HttpOriginProps
        {
            ProtocolPolicy = OriginProtocolPolicy.HTTPS_ONLY,
        });

        Distribution = new Distribution(scope.Stack, "WebDistribution", new DistributionProps
        {
            Comment = "ImagePipeline web page and API.",
            DefaultBehavior = new BehaviorOptions
            {
                Origin = origin,
                AllowedMethods = AllowedMethods.ALLOW_GET_HEAD,
                ViewerProtocolPolicy = ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
                CachePolicy = pageCache,
                OriginRequestPolicy = OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
                ResponseHeadersPolicy = headers,
            },
            AdditionalBehaviors = new Dictionary<string, IBehaviorOptions>
            {
                [ApiPathPattern] = new BehaviorOptions
                {
                    Origin = origin,
                    AllowedMethods = AllowedMethods.ALLOW_ALL,
                    // A redirect would turn a POST into a GET: plain HTTP is refused instead.
                    ViewerProtocolPolicy = ViewerProtocolPolicy.HTTPS_ONLY,
                    CachePolicy = CachePolicy.CACHING_DISABLED,
                    OriginRequestPolicy = OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
                    ResponseHeadersPolicy = headers,
                },
            },
            PriceClass = PriceClass.PRICE_CLASS_100,
            HttpVersion = HttpVersion.HTTP2_AND_3,
        });
        scope.Nag.Add(Distribution, "AwsSolutions-CFR1", "A public demo page: no geographic restriction is intended.");
        scope.Nag.Add(Distribution, "AwsSolutions-CFR2",
            "The API has its own stage throttling (50 requests/s, burst 100). WAF is left to the operator (it costs per month).");
        scope.Nag.Add(Distribution, "AwsSolutions-CFR3",
            "CloudFront standard logs need an ACL-enabled bucket; the HTTP API's access log records every request that reaches the origin.");
        scope.Nag.Add(Distribution, "AwsSolutions-CFR4",
            "The default *.cloudfront.net certificate fixes the TLS policy; a custom domain with its own certificate sets TLSv1.2_2021.");

        Origin = $"https://{Distribution.DistributionDomainName}";
    }

    public Distribution Distribution { get; }

    /// <summary>The page's origin, <c>https://…cloudfront.net</c>: where browsers upload from.</summary>
    public string Origin { get; }

    /// <summary>The page's Content-Security-Policy, sent by CloudFront and given to the api function.</summary>
    public string ContentSecurityPolicy { get; }

    /// <summary>
    /// The page's CSP. Images and uploads go to presigned S3 URLs (virtual-hosted: BUCKET.s3.REGION.amazonaws.com), named
    /// by wildcard: the exact bucket hosts would make the distribution depend on the buckets, whose CORS rule names the
    /// distribution. Without sign-in it is the text of StaticPage.ContentSecurityPolicy(StaticPage.S3Sources(region)) (the
    /// infra tests compare them). With sign-in the page also fetches the issuer's discovery document and keys
    /// (cognito-idp) and calls the hosted domain's token, user-info and revocation endpoints (connect-src), and it may
    /// send the browser to the hosted pages (form-action, which browsers also apply to the redirects after a form).
    /// </summary>
    public static string ContentSecurityPolicyFor(string s3Sources, IReadOnlyList<string> signInSources)
    {
        ArgumentNullException.ThrowIfNull(signInSources);
        if (signInSources.Count == 0)
        {
            return $"default-src 'self'; img-src 'self' blob: data: {s3Sources}; connect-src 'self' {s3Sources}; " +
                "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";
        }

        var signIn = string.Join(' ', signInSources);
        return $"default-src 'self'; img-src 'self' blob: data: {s3Sources}; connect-src 'self' {s3Sources} {signIn}; " +
            $"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self' {signIn}";
    }

    private static string S3Sources => $"https://*.s3.{Aws.REGION}.{Aws.URL_SUFFIX} https://*.s3.{Aws.URL_SUFFIX}";
}
