using System.Text.Json;
using Azure.Data.Tables;
using Loyalty.Adapters.Storage;
using Loyalty.Functions.Hosting;
using Loyalty.Functions.Http;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Loyalty.Functions.Health;

/// <summary><c>GET /api/health</c>: 200 <c>{"status":"ok"}</c> when storage answers and the tables exist, else 503.</summary>
public static class HealthApi
{
    public static IServiceCollection AddStorageHealthCheck(this IServiceCollection services)
    {
        services.AddHealthChecks().AddCheck<StorageHealthCheck>("storage");
        return services;
    }

    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/api/health", new HealthCheckOptions
        {
            ResponseWriter = (context, report) =>
            {
                context.Response.ContentType = "application/json";
                var status = report.Status == HealthStatus.Healthy ? "ok" : "unavailable";
                return context.Response.WriteAsync(JsonSerializer.Serialize(new HealthResponse(status), ApiJson.Default.HealthResponse));
            },
        }).WithTags("Health").WithMetadata(new HttpMethodMetadata([HttpMethods.Get]));
        return app;
    }

    private sealed class StorageHealthCheck(TableServiceClient tables, StorageSetup setup) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct)
        {
            if (!setup.Ready.IsCompleted)
            {
                return HealthCheckResult.Unhealthy("tables are not created yet");
            }

            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(TimeSpan.FromSeconds(5));
                await tables.GetTableClient(Tables.Members).GetEntityIfExistsAsync<TableEntity>("health", "probe", cancellationToken: timeout.Token);
                return HealthCheckResult.Healthy();
            }
            catch (Exception e) when (e is Azure.RequestFailedException or OperationCanceledException or HttpRequestException)
            {
                return HealthCheckResult.Unhealthy("storage does not answer");
            }
        }
    }
}
