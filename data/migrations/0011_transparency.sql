-- issue 11: bargaining transparency (withheld details, silence, summaries, proposals, cascade)
-- placeholder claiming the number; tables follow in the next commit
SELECT 1;
