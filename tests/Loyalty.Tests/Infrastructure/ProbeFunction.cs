using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Loyalty.Functions.Invocations;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Loyalty.Tests.Infrastructure;

/// <summary>A test-only function endpoint, <c>POST /{Name}</c>, that records each invocation the runner sends it, how
/// many ran at once, and can hold invocations open until the test opens its gate.</summary>
public sealed class ProbeFunction(string name)
{
    private readonly ConcurrentQueue<JsonObject> bodies = new();
    private readonly ConcurrentQueue<TimerInfo?> timers = new();
    private int running;
    private int maxRunning;
    private TaskCompletionSource gate = Open();

    public string Name => name;

    /// <summary>Invocations started so far.</summary>
    public int Count => bodies.Count;

    public int MaxConcurrent => Volatile.Read(ref maxRunning);

    public IReadOnlyList<JsonObject> Bodies => [.. bodies];

    /// <summary>The timer value of each invocation, as a timer function reads it.</summary>
    public IReadOnlyList<TimerInfo?> Timers => [.. timers];

    /// <summary>Makes invocations wait until <see cref="Release"/>.</summary>
    public void Hold() => gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release() => gate.TrySetResult();

    public void AddTo(IServiceCollection services) => services.AddSingleton<IStartupFilter>(new Filter(this));

    private static TaskCompletionSource Open()
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        open.SetResult();
        return open;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var now = Interlocked.Increment(ref running);
        for (var max = Volatile.Read(ref maxRunning); now > max && Interlocked.CompareExchange(ref maxRunning, now, max) != max; max = Volatile.Read(ref maxRunning))
        {
        }

        try
        {
            var body = (await JsonNode.ParseAsync(context.Request.Body))!.AsObject();
            var (invocation, _) = FunctionInvocation.Parse(System.Text.Encoding.UTF8.GetBytes(body.ToJsonString()));
            timers.Enqueue(invocation?.Timer("myTimer"));
            bodies.Enqueue(body);
            await gate.Task;
            await InvocationResult.Completed("probe ran").ExecuteAsync(context);
        }
        finally
        {
            Interlocked.Decrement(ref running);
        }
    }

    private sealed class Filter(ProbeFunction probe) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, following) =>
            {
                if (HttpMethods.IsPost(context.Request.Method) && context.Request.Path.Equals("/" + probe.Name, StringComparison.OrdinalIgnoreCase))
                {
                    await probe.HandleAsync(context);
                    return;
                }

                await following(context);
            });
            next(app);
        };
    }
}
