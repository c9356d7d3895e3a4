-- Town halls and votes as unions run them (issue 13): placeholder claiming the number;
-- filled in by the next commit.
SELECT 1;
