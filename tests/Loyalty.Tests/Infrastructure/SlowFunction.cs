using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Loyalty.Tests.Infrastructure;

/// <summary>Makes every call to one function take <paramref name="delay"/> longer (a slow function), and records
/// how many calls were in flight when the app began to shut down.</summary>
public sealed class SlowFunction(string name, TimeSpan delay)
{
    private int inFlight;

    public string Name => name;

    public TimeSpan Delay => delay;

    /// <summary>Calls in flight when shutdown began; -1 until it begins.</summary>
    public int InFlightAtShutdown { get; private set; } = -1;

    /// <summary>Calls that finished after shutdown began.</summary>
    public int FinishedAfterShutdown { get; private set; }

    public void AddTo(IServiceCollection services) => services.AddSingleton<IStartupFilter>(new Filter(this));

    private sealed class Filter(SlowFunction slow) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            var lifetime = app.ApplicationServices.GetRequiredService<IHostApplicationLifetime>();
            lifetime.ApplicationStopping.Register(() => slow.InFlightAtShutdown = Volatile.Read(ref slow.inFlight));
            app.Use(async (context, following) =>
            {
                if (!context.Request.Path.Equals("/" + slow.Name, StringComparison.OrdinalIgnoreCase))
                {
                    await following(context);
                    return;
                }

                Interlocked.Increment(ref slow.inFlight);
                try
                {
                    await Task.Delay(slow.Delay, CancellationToken.None);
                    await following(context);
                }
                finally
                {
                    Interlocked.Decrement(ref slow.inFlight);
                    if (slow.InFlightAtShutdown >= 0)
                    {
                        slow.FinishedAfterShutdown++;
                    }
                }
            });
            next(app);
        };
    }
}
