-- wrk: POST /users with a valid 10-field NewUser.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"name":"Ada Lovelace","email":"ada@example.com","age":36,"role":"admin","tags":["math","engines"],"active":true,"score":99.5,"country":"GB","bio":"Wrote the first program.","website":"https://example.com/ada"}'
