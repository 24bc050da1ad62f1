using System.Net;
using System.Net.Http.Json;
using System.Text;
using Loyalty.Adapters.Storage;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;

namespace Loyalty.Tests.Infrastructure;

/// <summary>The real handler app (the whole ASP.NET Core pipeline) on Azurite, optionally with a fake clock
/// and extra settings.</summary>
public sealed class LoyaltyApp(
    string storageConnectionString,
    FakeTimeProvider? time = null,
    IReadOnlyDictionary<string, string?>? settings = null,
    Action<IServiceCollection>? services = null)
    : WebApplicationFactory<Program>
{
    public LoyaltyApp(Azurite azurite, FakeTimeProvider? time = null, IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
        : this(azurite.ConnectionString, time, settings, services)
    {
    }

    public FakeTimeProvider? Time => time;

    /// <summary>A client once the app reports healthy (its tables exist). Every answer it receives is checked against the
    /// OpenAPI document the app serves (<see cref="ContractCheck"/>).</summary>
    public Task<HttpClient> StartAsync() => TestHost.WhenHealthyAsync(CreateDefaultClient(new ContractCheck()));

    public T Service<T>()
        where T : notnull => Services.GetRequiredService<T>();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        // The in-memory test server has no address for the trigger runner to call, and a runner here would poll the
        // shared Azurite's queues under other tests: StandaloneApp runs it on a real socket with its own queues.
        builder.UseSetting("TriggerRunner:Enabled", "false");
        TestHost.Configure(builder, storageConnectionString, time, settings, services);
    }
}

/// <summary>What every test host of the app shares: the test environment, the storage, a pinned program, a fake clock.</summary>
public static class TestHost
{
    public static void Configure(
        IWebHostBuilder builder,
        string storageConnectionString,
        FakeTimeProvider? time,
        IReadOnlyDictionary<string, string?>? settings,
        Action<IServiceCollection>? services = null)
    {
        builder.UseEnvironment("Testing");
        builder.UseSetting(StorageAccount.SettingName, storageConnectionString);

        // Tests pin their rules: a plain program (1 point per unit, no bonuses) unless they give their own.
        builder.UseSetting("LOYALTY_PROGRAM_FILE", Path.Combine(AppContext.BaseDirectory, "Fixtures", "program.plain.json"));
        builder.UseSetting(PhoneKeys.CurrentSetting, TestKeys.PhoneSecret);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            builder.UseSetting(key, value);
        }

        builder.ConfigureServices(s =>
        {
            if (time is not null)
            {
                s.Replace(ServiceDescriptor.Singleton<TimeProvider>(time));
            }

            services?.Invoke(s);
        });
    }

    /// <summary>Returns the client once the app reports healthy (storage answers and its tables exist).</summary>
    public static async Task<HttpClient> WhenHealthyAsync(HttpClient client)
    {
        for (var i = 0; i < 100; i++)
        {
            using var health = await client.GetAsync("/api/health");
            if (health.StatusCode == HttpStatusCode.OK)
            {
                return client;
            }

            await Task.Delay(100);
        }

        throw new InvalidOperationException("The app did not become healthy.");
    }
}

public static class HttpExtensions
{
    public static Task<HttpResponseMessage> SendJsonAsync(this HttpClient client, HttpMethod method, string url, string json, string contentType = "application/json") =>
        client.SendAsync(new HttpRequestMessage(method, url) { Content = new StringContent(json, Encoding.UTF8, contentType) });

    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string url, string json) =>
        client.SendJsonAsync(HttpMethod.Post, url, json);

    public static Task<HttpResponseMessage> PutJsonAsync(this HttpClient client, string url, string json) =>
        client.SendJsonAsync(HttpMethod.Put, url, json);

    public static async Task<T> ReadAsync<T>(this HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<T>())!;

    /// <summary>Reads a problem+json answer and checks it has the RFC 9457 members.</summary>
    public static async Task<Problem> ReadProblemAsync(this HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<Problem>();
        Assert.NotNull(problem);
        Assert.Equal((int)response.StatusCode, problem.Status);
        Assert.False(string.IsNullOrEmpty(problem.Title));
        return problem;
    }
}

public sealed record Problem(string Type, string Title, int Status, string? Detail, Dictionary<string, string[]>? Errors);
