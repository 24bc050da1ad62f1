using Microsoft.Extensions.Time.Testing;

namespace Loyalty.Tests.Infrastructure;

/// <summary>One running app per test class, on the shared Azurite, with the clock fixed at <see cref="A.Now"/>.</summary>
public sealed class AppFixture(Azurite azurite) : IAsyncLifetime
{
    public LoyaltyApp App { get; } = new(azurite, new FakeTimeProvider(A.Now));

    public HttpClient Client { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Client = await App.StartAsync();

    public ValueTask DisposeAsync() => App.DisposeAsync();

    /// <summary>Enrolls a new member and returns their id.</summary>
    public async Task<string> EnrollAsync(MemberJson? member = null)
    {
        var id = A.Id("m");
        using var response = await Client.PutJsonAsync($"/api/members/{id}", (member ?? A.Member()).ToJson());
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        return id;
    }
}
