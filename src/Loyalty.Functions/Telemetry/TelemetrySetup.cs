using Azure.Monitor.OpenTelemetry.Exporter;
using Loyalty.Adapters.Storage;
using Loyalty.Functions.Hosting;
using Microsoft.AspNetCore.Routing.Patterns;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Loyalty.Functions.Telemetry;

/// <summary>Metrics always (<see cref="LoyaltyMetrics"/>); traces, request and dependency telemetry, metrics and
/// logs to Azure Monitor through OpenTelemetry when <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set.</summary>
public static class TelemetrySetup
{
    public const string ConnectionStringSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";
    public const string ServiceName = "loyalty-functions";

    public static WebApplicationBuilder AddLoyaltyTelemetry(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<LoyaltyMetrics>();

        // The Functions host forwards the caller's URL, which may carry a function key in ?code=; ASP.NET Core's
        // request-start log line would write it out, and under the host the handler's console ends up in the
        // host's logs. Request telemetry (below) records the route and status without the query values.
        if (HandlerUrls.UnderFunctionsHost(builder.Configuration))
        {
            builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);
        }

        var connectionString = builder.Configuration[ConnectionStringSetting];
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return builder;
        }

        builder.Logging.AddFilter<OpenTelemetryLoggerProvider>("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(ServiceName, serviceVersion: typeof(TelemetrySetup).Assembly.GetName().Version?.ToString()))
            .WithTracing(tracing => tracing
                .AddAspNetCoreInstrumentation(o => o.Filter = context => !IsHostProbe(context.Request))
                .AddHttpClientInstrumentation(o => o.EnrichWithHttpRequestMessage = (activity, request) =>
                {
                    if (request.RequestUri is { } uri)
                    {
                        activity.SetTag("url.full", RedactedUrl(uri));
                    }
                }))
            .WithMetrics(metrics => metrics
                .AddMeter(LoyaltyMetrics.MeterName, LedgerMetrics.MeterName)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation())
            .UseAzureMonitorExporter(o => o.ConnectionString = connectionString);
        return builder;
    }

    /// <summary>Counts and times trigger invocations: the Functions host (and the standalone runner) calls a
    /// non-HTTP function as <c>POST /{FunctionName}</c>. Only routes the app maps count, so the <c>function</c>
    /// tag stays a small fixed set. HTTP-triggered functions show up as request telemetry by route instead.</summary>
    public static WebApplication UseLoyaltyTelemetry(this WebApplication app)
    {
        var metrics = app.Services.GetRequiredService<LoyaltyMetrics>();
        var time = app.Services.GetRequiredService<TimeProvider>();
        app.Use(async (context, next) =>
        {
            // Routing has already chosen the endpoint; read it now, as the exception handler clears it.
            if (!HttpMethods.IsPost(context.Request.Method) || FunctionName(context) is not { } function)
            {
                await next(context);
                return;
            }

            var started = time.GetTimestamp();
            var succeeded = false;
            try
            {
                await next(context);
                succeeded = context.Response.StatusCode < 400;
            }
            finally
            {
                metrics.FunctionInvoked(function, succeeded, time.GetElapsedTime(started));
            }
        });
        return app;
    }

    /// <summary>An outgoing request's URL as recorded in dependency telemetry: scheme, host and the first path
    /// segment (the table, queue or API), without keys, ids or query. Table Storage puts partition and row keys
    /// in the path, and a key may be a phone number.</summary>
    public static string RedactedUrl(Uri uri)
    {
        if (!uri.IsAbsoluteUri)
        {
            return "";
        }

        var path = uri.AbsolutePath.TrimStart('/');
        var end = path.IndexOfAny(['/', '(', '?']);
        var first = end < 0 ? path : path[..end];
        return $"{uri.Scheme}://{uri.Authority}/{first}";
    }

    private static bool IsHostProbe(HttpRequest request) =>
        HttpMethods.IsGet(request.Method) && request.Path == "/";

    // The literal text of a one-segment route (e.g. "/SendOutreach") that handled the request, else null.
    private static string? FunctionName(HttpContext context) =>
        context.GetEndpoint() is RouteEndpoint { RoutePattern: { PathSegments: [{ Parts: [RoutePatternLiteralPart literal] }] } }
            ? literal.Content
            : null;
}
