using Azure.Monitor.OpenTelemetry.Exporter;
using Loyalty.Adapters.Storage;
using Loyalty.Domain.Program;
using Loyalty.Functions.Hosting;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.Configuration.Memory;
using OpenTelemetry;
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

    /// <summary>The activity source of the standalone runner's root operations (one per message or timer run).</summary>
    public const string TriggerSourceName = "Loyalty.Functions.Triggers";

    /// <summary>The log levels a deployed app starts with (the published package has no appsettings.json): the app's own
    /// lines, and only warnings from ASP.NET Core and the HTTP client, which otherwise write about four information lines
    /// per request. Any <c>Logging__LogLevel__…</c> setting overrides them.</summary>
    public static readonly IReadOnlyDictionary<string, string?> DefaultLogLevels = new Dictionary<string, string?>
    {
        ["Logging:LogLevel:Default"] = "Information",
        ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
        ["Logging:LogLevel:Microsoft.Extensions.Http"] = "Warning",
        ["Logging:LogLevel:System.Net.Http.HttpClient"] = "Warning",
        ["Logging:LogLevel:Polly"] = "Warning",
    };

    public static WebApplicationBuilder AddLoyaltyTelemetry(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<LoyaltyMetrics>();

        // Lowest precedence: every other configuration source wins over these defaults.
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = DefaultLogLevels });

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

        // The exporters are wired by hand rather than with UseAzureMonitorExporter, whose sampler decides when a trace
        // starts: here every span is recorded and the TailSampler decides when the trace has ended.
        var exporter = ExporterOptions(builder.Configuration, connectionString);
        var sampling = TraceSampling.FromConfiguration(builder.Configuration);
        var traces = new TailSampler(sampling, new BatchActivityExportProcessor(new AzureMonitorTraceExporter(exporter)));
        builder.Logging.AddFilter<OpenTelemetryLoggerProvider>("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.Warning);
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(ServiceName, serviceVersion: typeof(TelemetrySetup).Assembly.GetName().Version?.ToString()))
            .WithTracing(tracing => tracing
                .SetSampler(new RecordEverything())
                .AddSource(TriggerSourceName)
                .AddAspNetCoreInstrumentation(o => o.Filter = context => !IsHostProbe(context.Request))
                .AddHttpClientInstrumentation(o => o.EnrichWithHttpRequestMessage = (activity, request) =>
                {
                    if (request.RequestUri is { } uri)
                    {
                        activity.SetTag("url.full", RedactedUrl(uri));
                        if (request.Method == HttpMethod.Get && IsPointRead(uri))
                        {
                            activity.SetTag(TailSampler.PointReadTag, true);
                        }
                        else if (request.Method == HttpMethod.Post && uri.AbsolutePath.EndsWith("/Tables", StringComparison.Ordinal))
                        {
                            activity.SetTag(TailSampler.TableCreateTag, true);
                        }
                    }
                })
                .AddProcessor(traces))
            .WithMetrics(metrics => metrics
                .AddMeter(LoyaltyMetrics.MeterName, LedgerMetrics.MeterName)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddReader(MetricReader(exporter)))
            .WithLogging(
                logging => logging.AddProcessor(new TraceLogFilter(traces, new BatchLogRecordExportProcessor(new AzureMonitorLogExporter(exporter)))),
                options => options.IncludeScopes = true);
        return builder;
    }

    /// <summary>The ledger metrics of a tool that commits operations outside the app (the command line's import), under
    /// the source <paramref name="tool"/>, exported as the app exports them when <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c>
    /// is set (null metrics otherwise). Disposing the returned provider sends what is left.</summary>
    public static (LedgerMetrics? Metrics, IDisposable Export) ToolLedgerMetrics(IConfiguration configuration, ProgramDefinition program, string tool)
    {
        var connectionString = configuration[ConnectionStringSetting];
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            return (null, new ServiceCollection().BuildServiceProvider());
        }

        var services = new ServiceCollection().AddMetrics().AddOpenTelemetry()
            .ConfigureResource(r => r.AddService($"{ServiceName}-{tool}", serviceVersion: typeof(TelemetrySetup).Assembly.GetName().Version?.ToString()))
            .WithMetrics(metrics => metrics.AddMeter(LedgerMetrics.MeterName).AddReader(MetricReader(ExporterOptions(configuration, connectionString))))
            .Services.BuildServiceProvider();
        // The meter factory first, so that the provider (which listens from when it is built: no host starts it here) is
        // disposed first, exporting what is left before the meters go.
        var meters = services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        _ = services.GetRequiredService<MeterProvider>();
        return (new LedgerMetrics(meters, program, tool), services);
    }

    private static AzureMonitorExporterOptions ExporterOptions(IConfiguration configuration, string connectionString)
    {
        var section = configuration.GetSection("AzureMonitorExporter");
        return new AzureMonitorExporterOptions
        {
            ConnectionString = connectionString,
            DisableOfflineStorage = section.GetValue<bool>(nameof(AzureMonitorExporterOptions.DisableOfflineStorage)),
            StorageDirectory = section[nameof(AzureMonitorExporterOptions.StorageDirectory)],
        };
    }

    private static PeriodicExportingMetricReader MetricReader(AzureMonitorExporterOptions exporter) =>
        new(new AzureMonitorMetricExporter(exporter)) { TemporalityPreference = MetricReaderTemporalityPreference.Delta };

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

    // A single-entity table read: ".../table(PartitionKey='…',RowKey='…')".
    private static bool IsPointRead(Uri uri) =>
        uri.AbsolutePath.EndsWith(')') && uri.AbsolutePath.Contains("(PartitionKey=", StringComparison.Ordinal);

    private static bool IsHostProbe(HttpRequest request) =>
        HttpMethods.IsGet(request.Method) && request.Path == "/";

    // The literal text of a one-segment route (e.g. "/SendOutreach") that handled the request, else null.
    private static string? FunctionName(HttpContext context) =>
        context.GetEndpoint() is RouteEndpoint { RoutePattern: { PathSegments: [{ Parts: [RoutePatternLiteralPart literal] }] } }
            ? literal.Content
            : null;
}
