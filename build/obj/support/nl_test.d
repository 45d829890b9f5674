/work/main/build/obj/support/nl_test.o: \
 /work/main/tests/support/nl_test.cpp /work/main/tests/support/nl_test.h
/work/main/tests/support/nl_test.h:
