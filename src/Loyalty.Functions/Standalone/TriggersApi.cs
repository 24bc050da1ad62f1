using Loyalty.Functions.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Loyalty.Functions.Standalone;

/// <summary>Registration of the trigger runner and of <c>POST /admin/functions/{name}</c>.</summary>
public static class TriggersApi
{
    /// <summary>Reads the app's function definitions and, in standalone mode, runs their queue and timer triggers.</summary>
    public static IServiceCollection AddTriggerRunner(this IServiceCollection services)
    {
        services.AddOptions<TriggerRunnerOptions>()
            .BindConfiguration(TriggerRunnerOptions.Section)
            .Validate(o => o.DrainTimeout > TimeSpan.Zero, $"{TriggerRunnerOptions.Section}:DrainTimeout must be positive.")
            .Validate(o => o.AppRoot is null || Directory.Exists(o.AppRoot), $"{TriggerRunnerOptions.Section}:AppRoot must be an existing folder.")
            .ValidateOnStart();
        services.AddSingleton(sp => FunctionCatalog.Load(sp.GetRequiredService<IOptions<TriggerRunnerOptions>>().Value.AppRoot ?? AppContext.BaseDirectory));
        services.AddHttpClient(FunctionInvoker.HttpClientName, (sp, client) =>
            {
                client.Timeout = sp.GetRequiredService<FunctionCatalog>().Host.FunctionTimeout;

                // With an API key every invocation route is protected, so the runner presents the key too.
                if (sp.GetRequiredService<IConfiguration>()[ApiKey.SettingName] is { Length: > 0 } key)
                {
                    client.DefaultRequestHeaders.Add(ApiKey.HeaderName, key);
                }
            })
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { UseProxy = false })
            .RemoveAllLoggers();
        services.AddSingleton<FunctionInvoker>();
        services.AddSingleton<ServiceBusClients>();
        services.AddSingleton<TriggerRunner>();
        services.AddHostedService(sp => sp.GetRequiredService<TriggerRunner>());
        return services;
    }

    /// <summary><c>POST /admin/functions/{name}</c> with <c>{ "input": "…" }</c>: runs a non-HTTP function now and
    /// answers 202, as the Functions host's admin endpoint does. For a queue function the input is the message text;
    /// a timer ignores it. Under <c>/admin</c>, so <c>LOYALTY_API_KEY</c> guards it.</summary>
    public static IEndpointRouteBuilder MapFunctionInvocations(this IEndpointRouteBuilder app)
    {
        app.MapPost("/admin/functions/{name}", RunNow).ExcludeFromDescription();
        return app;
    }

    private static async Task<Results<Accepted, ProblemHttpResult>> RunNow(
        string name, HttpRequest request, FunctionCatalog catalog, TriggerRunner runner, CancellationToken ct)
    {
        if (catalog.Find(name) is not { } function || function.Is(FunctionDefinition.HttpTrigger))
        {
            return TypedResults.Problem(
                $"No non-HTTP function is named '{name}'.", statusCode: 404, title: "Function not found", type: Problems.FunctionNotFound);
        }

        var (body, problem) = await JsonBody.ReadAsync<AdminInvocationRequest>(request, ct);
        if (problem is not null)
        {
            return problem;
        }

        if (body!.Input is null && !function.Is(FunctionDefinition.TimerTrigger))
        {
            return Problems.Invalid("input", "Required: the trigger input, e.g. the queue message text.");
        }

        runner.RunNow(function, body.Input);
        return TypedResults.Accepted((string?)null);
    }
}

/// <param name="Input">The trigger input: a queue message's text; ignored for timers.</param>
public sealed record AdminInvocationRequest(string? Input);
