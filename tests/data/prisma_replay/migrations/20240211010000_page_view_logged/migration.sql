-- Raw SQL: the page views must survive a crash after all
ALTER TABLE "PageView" SET LOGGED;
